"""One MIME part that knows how to render itself: headers, then a body or boundary-separated children."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sesflow.mime.headers import fold

__all__ = ["MimeNode", "header_tokens"]


def header_tokens(value: str, params: list[str]) -> list[str]:
    """``value; p1; p2`` as fold tokens: each parameter is one token, so folding never splits one."""
    if not params:
        return [value]
    out = [value + ";"]
    out.extend(p + ";" for p in params[:-1])
    out.append(params[-1])
    return out


@dataclass(slots=True)
class MimeNode:
    """A MIME part: ``content_type`` + parameter tokens, extra header lines, and a body or children.

    ``body`` is already transfer-encoded (CRLF lines, no trailing CRLF needed); ``raw`` replaces the whole
    part (headers and body) when given. Multipart nodes get their boundary at render time.
    """

    content_type: str
    params: list[str] = field(default_factory=list)
    transfer_encoding: str | None = None
    headers: list[bytes] = field(default_factory=list)
    body: bytes = b""
    children: list[MimeNode] = field(default_factory=list)
    raw: bytes | None = None

    @property
    def is_multipart(self) -> bool:
        """Whether this node is a multipart/* container."""
        return self.content_type.startswith("multipart/")

    def render(self, out: list[bytes], boundary: Callable[[], str]) -> None:
        """Append this part's bytes to ``out``; ``boundary()`` gives a fresh unique boundary."""
        if self.raw is not None:
            out.append(self.raw)
            return
        if self.is_multipart:
            mark = boundary()
            out.append(
                fold("Content-Type", header_tokens(self.content_type, [*self.params, f'boundary="{mark}"']))
            )
            out.extend(self.headers)
            out.append(b"\r\n")
            delimiter = b"--" + mark.encode("ascii")
            for child in self.children:
                out.append(delimiter + b"\r\n")
                child.render(out, boundary)
                out.append(b"\r\n")
            out.append(delimiter + b"--\r\n")
            return
        out.append(fold("Content-Type", header_tokens(self.content_type, self.params)))
        if self.transfer_encoding:
            out.append(b"Content-Transfer-Encoding: " + self.transfer_encoding.encode("ascii") + b"\r\n")
        out.extend(self.headers)
        out.append(b"\r\n")
        out.append(self.body)
