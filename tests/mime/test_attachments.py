"""Point 5: attachments — file names, content types, dispositions, message/rfc822, every content source."""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesflow import Attachment, Message, MessageError, compose
from sesflow.mime import ContentLimits
from tests.mime.conftest import parse

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def _compose(*attachments: Attachment, limits: ContentLimits | None = None, **fields: object) -> bytes:
    message = Message(
        from_="s@example.com", to="r@example.org", text="x", attachments=list(attachments), **fields
    )  # type: ignore[arg-type]
    return compose(message, limits=limits).raw


def _parts(raw: bytes) -> list:  # type: ignore[type-arg]
    return list(parse(raw).iter_attachments())


def test_unicode_filename_uses_rfc2231_with_an_encoded_word_fallback_in_name() -> None:
    raw = _compose(Attachment(filename="résumé für Zoë.pdf", content=PDF))
    assert b"filename*=utf-8''r%C3%A9sum%C3%A9%20f%C3%BCr%20Zo%C3%AB.pdf" in raw
    assert b'name="=?UTF-8?B?' in raw
    (part,) = _parts(raw)
    assert part.get_filename() == "résumé für Zoë.pdf"
    assert part.get_content() == PDF


def test_a_very_long_unicode_filename_uses_rfc2231_continuations() -> None:
    name = "報告書" * 60 + ".pdf"
    raw = _compose(Attachment(filename=name, content=PDF))
    assert b"filename*0*=utf-8''" in raw and b"filename*1*=" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert _parts(raw)[0].get_filename() == name


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("a.pdf", "application/pdf"),
        ("b.png", "image/png"),
        ("c.csv", "text/csv"),
        ("d.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_is_guessed_from_the_extension(filename: str, content_type: str) -> None:
    (part,) = _parts(_compose(Attachment(filename=filename, content=b"data")))
    assert part.get_content_type() == content_type


def test_an_image_with_a_cid_is_inline_by_default_and_others_are_attachments() -> None:
    msg = parse(
        _compose(
            Attachment(filename="i.png", content=PDF, cid="i@x"),
            Attachment(filename="f.pdf", content=PDF, cid="f@x"),
            Attachment(filename="g.pdf", content=PDF),
            html='<img src="cid:i@x">',
        )
    )
    dispositions = {p.get_filename(): p.get_content_disposition() for p in msg.walk() if p.get_filename()}
    assert dispositions == {"i.png": "inline", "f.pdf": "attachment", "g.pdf": "attachment"}
    cids = [p["content-id"] for p in msg.walk() if p["content-id"]]
    assert cids == ["<i@x>", "<f@x>"]


def test_an_ascii_message_rfc822_is_labelled_8bit_too() -> None:
    raw = _compose(Attachment(content=b"Subject: plain\r\n\r\nascii\r\n", content_type="message/rfc822"))
    assert b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n" in raw


def test_message_rfc822_is_8bit_inline_and_unencoded() -> None:
    inner = "From: a@example.com\nSubject: inner\n\nHéllo\n".encode()
    raw = _compose(Attachment(content=inner, content_type="message/rfc822"))
    assert (
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\nContent-Disposition: inline"
        in raw
    )
    assert "Subject: inner\r\n\r\nHéllo\r\n".encode() in raw


@pytest.mark.parametrize(
    ("content", "encoding", "expected"),
    [
        (base64.b64encode(PDF).decode(), "base64", PDF),
        (PDF.hex(), "hex", PDF),
        ("é text", None, "é text".encode()),
        ("é text", "latin-1", "é text".encode("latin-1")),
        ("data:application/pdf;base64," + base64.b64encode(PDF).decode(), None, PDF),
        ("data:,hello%20world", None, b"hello world"),
    ],
    ids=["base64", "hex", "utf8", "latin1", "data-url-base64", "data-url-percent"],
)
def test_str_content_is_decoded_by_its_encoding(content: str, encoding: str | None, expected: bytes) -> None:
    (part,) = _parts(_compose(Attachment(filename="a.bin", content=content, encoding=encoding)))
    assert part.get_payload(decode=True) == expected


def test_a_data_url_content_gives_its_media_type() -> None:
    (part,) = _parts(_compose(Attachment(filename=False, content="data:image/gif;base64,R0lGODlh")))
    assert part.get_content_type() == "image/gif"


def test_a_data_url_over_the_cap_is_refused() -> None:
    url = "data:;base64," + base64.b64encode(b"x" * 5000).decode()
    with pytest.raises(MessageError, match=r"attachments\[0\]\.content: the data: URL is larger"):
        _compose(Attachment(content=url), limits=ContentLimits(max_data_url_bytes=1000))


@pytest.mark.parametrize(
    "hostile",
    ["data:" + ";" * 2_000_000 + ",x", "data:" + "a" * 3_000_000, "data:;base64," + "%" * 3_000_000],
    ids=["many-semicolons", "no-comma", "junk-payload"],
)
def test_hostile_data_urls_are_handled_in_one_pass(hostile: str) -> None:
    try:
        _compose(Attachment(content=hostile, filename="h.bin"))
    except MessageError as error:
        assert str(error).startswith("attachments[0].content")


def test_a_path_attachment_reads_the_file_and_takes_its_name(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF)
    (part,) = _parts(_compose(Attachment(path=str(path))))
    assert part.get_filename() == "report.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == PDF


def test_a_path_is_refused_when_file_access_is_disabled(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"secret")
    with pytest.raises(MessageError, match=r"attachments\[0\]\.path: .*file access is disabled"):
        _compose(Attachment(path=str(path)), disable_file_access=True)


def test_a_missing_file_is_refused_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(MessageError, match=r"attachments\[0\]\.path: .*nope\.pdf.* cannot be read"):
        _compose(Attachment(path=str(tmp_path / "nope.pdf")))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/files/brochure.pdf":
            self._send(200, PDF, length=True)
        elif self.path == "/big":
            self._send(200, b"x" * 50_000, length=True)
        elif self.path == "/big-unannounced":
            self._send(200, b"x" * 50_000, length=False)
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late", length=True)
        else:
            self._send(404, b"no", length=True)

    def _send(self, status: int, body: bytes, length: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/pdf")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (random port), serving attachment files."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_attachment_is_fetched_and_named_after_the_url(http_base: str) -> None:
    (part,) = _parts(_compose(Attachment(href=f"{http_base}/files/brochure.pdf")))
    assert part.get_filename() == "brochure.pdf"
    assert part.get_content() == PDF


def test_an_http_path_is_fetched_too(http_base: str) -> None:
    (part,) = _parts(_compose(Attachment(path=f"{http_base}/files/brochure.pdf")))
    assert part.get_content() == PDF


def test_a_url_is_refused_when_url_access_is_disabled(http_base: str) -> None:
    with pytest.raises(MessageError, match=r"attachments\[0\]\.href: .*URL access is disabled"):
        _compose(Attachment(href=f"{http_base}/files/brochure.pdf"), disable_url_access=True)


@pytest.mark.parametrize("path", ["/big", "/big-unannounced"])
def test_a_url_over_the_size_cap_is_refused(http_base: str, path: str) -> None:
    with pytest.raises(MessageError, match=r"attachments\[0\]\.href: .*larger than the 10000-byte cap"):
        _compose(Attachment(href=http_base + path), limits=ContentLimits(max_fetch_bytes=10_000))


def test_a_slow_url_is_refused_after_the_timeout(http_base: str) -> None:
    with pytest.raises(MessageError, match=r"attachments\[0\]\.href: .*did not answer within 0.3 s"):
        _compose(Attachment(href=f"{http_base}/slow"), limits=ContentLimits(fetch_timeout=0.3))


def test_a_url_answering_404_is_refused(http_base: str) -> None:
    with pytest.raises(MessageError, match=r"attachments\[0\]\.href: .* answered HTTP 404"):
        _compose(Attachment(href=f"{http_base}/missing.pdf"))


def test_a_raw_attachment_part_is_used_as_given() -> None:
    part = (
        "Content-Type: text/plain; name=raw.txt\n"
        + "Content-Disposition: attachment; filename=raw.txt\n\nraw body\n"
    )
    (parsed,) = _parts(_compose(Attachment(raw=part)))
    assert parsed.get_filename() == "raw.txt"
    assert parsed.get_content().replace("\r\n", "\n") == "raw body\n"
