"""Read composed messages back with independent parsers, into one comparable shape.

``stdlib_view`` uses Python's email parser (policy.default); ``mailparser_views`` runs Node's mailparser
(installed on first use into tests/.cache/node) once over many messages. ``expected_view`` derives the same
shape straight from the Message fields, without sesflow's code, so the comparison is independent.
"""

from __future__ import annotations

import email
import hashlib
import json
import mimetypes
import os
import shutil
import subprocess
import tempfile
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import idna

from sesflow import Attachment, Message
from sesflow.mime import Address, Group

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE.parent / ".cache" / "node"
MAILPARSER = "mailparser@3.9.31"  # newer releases need @zone-eu/mailsplit versions the registry lacks


def norm_text(value: str | bytes | None) -> str | None:
    """Text with every newline style turned into LF (compose sends CRLF by design)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value.replace("\r\n", "\n").replace("\r", "\n")


def norm_address(address: str) -> str:
    """An address with its domain in lowercase ASCII (punycode) when the local part is ASCII."""
    local, _, domain = address.rpartition("@")
    if local.isascii():
        domain = idna.encode(domain, uts46=True).decode("ascii") if not domain.isascii() else domain
        return f"{local}@{domain.lower()}"
    return f"{local}@{domain.lower()}"


def _digest(content_type: str, data: bytes) -> str:
    if content_type.startswith(("text/", "message/")):
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(data).hexdigest()


def _norm_mailboxes(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            out.append(
                {"group": item["group"], "members": [[n, norm_address(a)] for n, a in item["members"]]}
            )
        else:
            out.append([item[0], norm_address(item[1])])
    return out


def _part_view(
    content_type: str, filename: str | None, data: bytes, cid: str | None, method: str | None
) -> Any:
    return {
        "filename": filename,
        "content_type": content_type,
        "sha256": _digest(content_type, data),
        "cid": cid,
        "method": method,
    }


def _sorted_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(parts, key=lambda p: (p["content_type"], p["sha256"], p["filename"] or ""))


def _leaves(part: EmailMessage) -> list[EmailMessage]:
    """Leaf parts in order; a message/rfc822 part is a leaf (its inner message is its content)."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    out: list[EmailMessage] = []
    for child in part.iter_parts():
        out.extend(_leaves(child))  # type: ignore[arg-type]
    return out


def stdlib_view(raw: bytes) -> dict[str, Any]:
    """The comparable fields of ``raw`` as Python's email parser (policy.default) decodes them."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    if head.isascii():
        msg = email.message_from_bytes(raw, policy=default)
    else:  # RFC 6532 UTF-8 headers: BytesParser would surrogate-escape them, so parse the decoded text
        msg = email.message_from_string(raw.decode("utf-8"), policy=default)
    assert isinstance(msg, EmailMessage)

    def mailboxes(name: str) -> list[Any]:
        header = msg[name]
        if header is None:
            return []
        out: list[Any] = []
        for group in header.groups:
            boxes = [[a.display_name, a.addr_spec] for a in group.addresses]
            out.append(
                boxes[0] if group.display_name is None else {"group": group.display_name, "members": boxes}
            )
        return _norm_mailboxes(out)

    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    parts: list[dict[str, Any]] = []
    for part in _leaves(msg):
        if part is text or part is html:
            continue
        content_type = part.get_content_type()
        if part is msg and content_type in ("text/plain", "text/html"):
            continue
        if content_type == "message/rfc822":
            data = part.get_payload(0).as_bytes(policy=default.clone(linesep="\r\n"))
        else:
            data = part.get_payload(decode=True) or b""
        cid = part.get("content-id")
        parts.append(
            _part_view(
                content_type,
                part.get_filename(),
                data,
                str(cid).strip().strip("<>") if cid else None,
                part.get_param("method") if content_type == "text/calendar" else None,  # type: ignore[arg-type]
            )
        )
    subject = msg["subject"]
    return {
        "from": mailboxes("from"),
        "to": mailboxes("to"),
        "cc": mailboxes("cc"),
        "reply_to": mailboxes("reply-to"),
        "subject": None if subject is None else str(subject),
        "text": norm_text(text.get_content()) if text is not None else None,
        "html": norm_text(html.get_content()) if html is not None else None,
        "message_id": str(msg["message-id"]),
        "parts": _sorted_parts(parts),
    }


def ensure_mailparser() -> Path:
    """node_modules holding mailparser, installed with npm into tests/.cache/node on first use."""
    modules = NODE_DIR / "node_modules"
    if not (modules / "mailparser" / "package.json").exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "--save-exact", MAILPARSER],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return modules


def node_available() -> bool:
    """Whether node and npm are on PATH."""
    return shutil.which("node") is not None and shutil.which("npm") is not None


def mailparser_views(raws: list[bytes]) -> list[dict[str, Any]]:
    """The comparable fields of every message as Node's mailparser decodes them (one node process)."""
    modules = ensure_mailparser()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, raw in enumerate(raws):
            path = Path(tmp, f"{index}.eml")
            path.write_bytes(raw)
            paths.append(str(path))
        done = subprocess.run(
            ["node", str(HERE / "mailparser_readback.cjs")],
            input="\n".join(paths),
            capture_output=True,
            text=True,
            env={**os.environ, "NODE_PATH": str(modules)},
            timeout=300,
            check=True,
        )
    views = []
    for line in done.stdout.split("\n"):  # not splitlines(): U+2028 and friends may sit inside the JSON
        if not line:
            continue
        data = json.loads(line)
        parts = []
        for a in data["attachments"]:
            parts.append(
                {
                    "filename": a["filename"],
                    "content_type": a["content_type"],
                    "sha256": a["sha256"],
                    "cid": a["cid"],
                    "method": a["method"],
                }
            )
        views.append(
            {
                "from": _norm_mailboxes(data["from"]),
                "to": _norm_mailboxes(_decode_member_names(data["to"])),
                "cc": _norm_mailboxes(_decode_member_names(data["cc"])),
                "reply_to": _norm_mailboxes(data["reply_to"]),
                # mailparser reports an empty subject or body as missing, and a missing text as ""
                "subject": data["subject"] or None,
                "text": norm_text(data["text"]) or None,
                "html": norm_text(data["html"]) or None,
                "message_id": data["message_id"],
                "parts": _sorted_parts(parts),
            }
        )
    return views


def _decode_member_names(items: list[Any]) -> list[Any]:
    """mailparser 3.9 decodes RFC 2047 display names of mailboxes but not of group members: finish it."""
    from email.header import decode_header, make_header

    for item in items:
        if isinstance(item, dict):
            item["members"] = [[str(make_header(decode_header(n))), a] for n, a in item["members"]]
    return items


def _expected_mailboxes(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, Group):
            out.append(
                {"group": item.name, "members": [list(_expected_mailboxes(m)[0]) for m in item.members]}
            )
        elif isinstance(item, Address):
            out.append([item.name, item.address])
        elif isinstance(item, tuple):
            out.append([item[0], item[1]])
        else:
            out.append(["", item])
    return _norm_mailboxes(out)


def _attachment_bytes(att: Attachment) -> bytes:
    if isinstance(att.content, bytes):
        return att.content
    if att.path is not None:
        return Path(att.path).read_bytes()
    assert isinstance(att.content, str)
    if att.encoding == "base64":
        import base64

        return base64.b64decode(att.content)
    if att.encoding == "hex":
        return bytes.fromhex(att.content)
    if att.content.startswith("data:"):
        import base64

        return base64.b64decode(att.content.partition(",")[2])
    return att.content.encode("utf-8")


def for_mailparser(view: dict[str, Any]) -> dict[str, Any]:
    """An expected view adjusted to mailparser's reporting: an empty subject or body counts as missing."""
    return {**view, **{key: view[key] or None for key in ("subject", "text", "html")}}


def expected_view(message: Message) -> dict[str, Any]:
    """What the parsers should decode, derived from the Message fields alone."""
    parts: list[dict[str, Any]] = []
    for att in message.attachments:
        name = att.filename or (Path(att.path).name if att.path is not None else None)
        content_type = att.content_type or mimetypes.guess_type(name or "")[0] or "application/octet-stream"
        parts.append(_part_view(content_type, name or None, _attachment_bytes(att), att.cid, None))
    for alt in message.alternatives:
        parts.append(_part_view(alt.content_type or "text/plain", None, _attachment_bytes(alt), None, None))
    event = message.ical_event
    if event is not None:
        data = event.content.encode("utf-8") if isinstance(event.content, str) else (event.content or b"")
        parts.append(_part_view("text/calendar", None, data, None, event.method.upper()))
        crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # RFC 5545: CRLF lines
        parts.append(_part_view("application/ics", event.filename, crlf, None, None))
    for amp_like, kind in ((message.watch_html, "text/watch-html"), (message.amp, "text/x-amp-html")):
        if amp_like is not None:
            data = amp_like.encode("utf-8") if isinstance(amp_like, str) else amp_like
            parts.append(_part_view(kind, None, data, None, None))
    return {
        "from": _expected_mailboxes(message.from_),
        "to": _expected_mailboxes(message.to),
        "cc": _expected_mailboxes(message.cc),
        "reply_to": _expected_mailboxes(message.reply_to),
        "subject": message.subject,
        "text": norm_text(message.text),
        "html": norm_text(message.html),
        "parts": _sorted_parts(parts),
    }
