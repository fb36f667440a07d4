"""Point 8: DKIM signing with dkimpy (rsa-sha256, ed25519-sha256), verified by dkimpy with a DNS stub."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

import dkim
import nacl.signing
import pytest

from sesflow import Attachment, Message, compose
from sesflow.mime import DkimOptions


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """(PEM private key, base64 DER public key) of a fresh 2048-bit RSA key made by openssl."""
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(private), "2048"], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return Path(private).read_bytes(), base64.b64encode(der).decode()


def _dns(records: dict[str, str]) -> Callable[..., bytes | None]:
    """A dnsfunc for dkimpy answering TXT lookups from ``records`` (the public keys under test)."""

    def lookup(name: bytes | str, timeout: int = 5) -> bytes | None:
        key = name.decode() if isinstance(name, bytes) else name
        value = records.get(key.rstrip("."))
        return value.encode() if value is not None else None

    return lookup


def _message(options: DkimOptions) -> Message:
    return Message(
        from_=("Zoë", "news@example.com"),
        to="r@example.org",
        subject="Signé ✓",
        text="Hello\n" * 20,
        html="<p>Hello</p>",
        attachments=[Attachment(filename="a.pdf", content=b"%PDF" * 1000)],
        list={"unsubscribe": "https://example.com/u", "one_click": True},
        dkim=options,
    )


def test_rsa_sha256_signature_verifies(rsa_key: tuple[bytes, str]) -> None:
    private, public = rsa_key
    raw = compose(_message(DkimOptions(domain="example.com", selector="s1", private_key=private))).raw
    assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    records = {"s1._domainkey.example.com": f"v=DKIM1; k=rsa; p={public}"}
    assert dkim.verify(raw, dnsfunc=_dns(records))


def test_ed25519_signature_verifies() -> None:
    key = nacl.signing.SigningKey.generate()
    options = DkimOptions(
        domain="example.com",
        selector="ed",
        private_key=base64.b64encode(bytes(key)).decode(),
        algorithm="ed25519-sha256",
    )
    raw = compose(_message(options)).raw
    assert b"a=ed25519-sha256" in raw.split(b"\r\n\r\n", 1)[0]
    public = base64.b64encode(bytes(key.verify_key)).decode()
    assert dkim.verify(raw, dnsfunc=_dns({"ed._domainkey.example.com": f"v=DKIM1; k=ed25519; p={public}"}))


def test_message_id_and_date_are_not_signed_by_default(rsa_key: tuple[bytes, str]) -> None:
    raw = compose(_message(DkimOptions(domain="example.com", selector="s1", private_key=rsa_key[0]))).raw
    signature = raw.split(b"\r\n\r\n", 1)[0].split(b"DKIM-Signature:", 1)[1].split(b"\r\nFrom:", 1)[0]
    signed = signature.replace(b"\r\n", b"").replace(b" ", b"").split(b"h=", 1)[1].split(b";", 1)[0].lower()
    fields = signed.split(b":")
    assert b"from" in fields and b"subject" in fields and b"list-unsubscribe-post" in fields
    assert b"message-id" not in fields and b"date" not in fields


def test_a_tampered_body_fails_verification(rsa_key: tuple[bytes, str]) -> None:
    private, public = rsa_key
    raw = compose(_message(DkimOptions(domain="example.com", selector="s1", private_key=private))).raw
    tampered = raw.replace(b"Hello\r\n", b"Hallo\r\n", 1)
    assert not dkim.verify(
        tampered, dnsfunc=_dns({"s1._domainkey.example.com": f"v=DKIM1; k=rsa; p={public}"})
    )


def test_dkim_options_may_be_a_mapping(rsa_key: tuple[bytes, str]) -> None:
    private, public = rsa_key
    raw = compose(_message({"domain": "example.com", "selector": "s1", "private_key": private})).raw  # type: ignore[arg-type]
    assert dkim.verify(raw, dnsfunc=_dns({"s1._domainkey.example.com": f"v=DKIM1; k=rsa; p={public}"}))
