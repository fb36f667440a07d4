"""AWS Signature Version 4 (``AWS4-HMAC-SHA256``) for the send requests sesflow writes itself.

Only what a send needs: a request without a query string whose headers are all signed (botocore signs every
header it sets before signing: ``content-type``, ``host``, ``x-amz-date`` and, with temporary credentials,
``x-amz-security-token``; ``user-agent`` is never signed). The result is byte-for-byte botocore's
``SigV4Auth`` signature for the same request and time (tests/send/test_wire.py checks it), computed without
botocore's request objects, event hooks and per-call key derivation: the derived signing key is kept for
the current (secret, day).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_host(url: str) -> str:
    """The ``Host`` header botocore signs for ``url``: lower case, no userinfo, no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def amz_date(now: datetime) -> str:
    """``now`` (UTC) in the ``X-Amz-Date`` form, ``YYYYMMDDTHHMMSSZ``."""
    return now.strftime("%Y%m%dT%H%M%SZ")


class Signer:
    """Signs requests for one region and service (the service's *signing* name: ``ses`` for v1 and v2).

    Thread-safe: the only state is the cached signing key, replaced in one assignment.
    """

    def __init__(self, region: str, service: str) -> None:
        self.region = region
        self.service = service
        self._key: tuple[str, str, bytes] = ("", "", b"")

    def signing_key(self, secret: str, day: str) -> bytes:
        """The derived key for ``day`` (``YYYYMMDD``): four HMACs, done once per secret and day."""
        cached_secret, cached_day, key = self._key
        if cached_secret == secret and cached_day == day and key:
            return key
        key = _hmac(("AWS4" + secret).encode(), day)
        for part in (self.region, self.service, "aws4_request"):
            key = _hmac(key, part)
        self._key = (secret, day, key)
        return key

    def authorization(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        payload_sha256: str,
        access_key: str,
        secret: str,
        stamp: str,
    ) -> str:
        """The ``Authorization`` header value for a request whose signed ``headers`` (lower-case names,
        ``host`` and ``x-amz-date`` = ``stamp`` among them) are all of ``headers``."""
        names = sorted(headers)
        canonical = "\n".join(
            [
                method,
                quote(path or "/", safe="/~"),
                "",
                "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names),
                ";".join(names),
                payload_sha256,
            ]
        )
        day = stamp[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self.signing_key(secret, day), to_sign.encode(), hashlib.sha256).hexdigest()
        signed = ";".join(names)
        return f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


__all__ = ["ALGORITHM", "Signer", "amz_date", "canonical_host"]
