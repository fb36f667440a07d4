"""AWS Signature Version 4: checking signed requests and making/checking pre-signed download URLs.

Implemented from the published algorithm (canonical request -> string to sign -> HMAC chain), so that the
emulator checks what real clients (botocore, the AWS CLI, the JavaScript SDK) send rather than trusting them.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote

from sesflow.emulator.scope import valid_region
from sesflow.emulator.wire import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True, slots=True)
class Credential:
    """The parsed ``Credential=`` scope of a signature."""

    key: str
    date: str
    region: str
    service: str


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, credential: Credential) -> bytes:
    """The derived SigV4 signing key for a credential scope."""
    k = _hmac(("AWS4" + secret).encode(), credential.date)
    k = _hmac(k, credential.region)
    k = _hmac(k, credential.service)
    return _hmac(k, "aws4_request")


def canonical_query(raw_query: str, *, drop: str | None = None) -> str:
    """The canonical query string: decoded pairs re-encoded per RFC 3986 and sorted."""
    pairs = [
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(raw_query, keep_blank_values=True)
        if k != drop
    ]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_request(
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    """The SigV4 canonical request for an already percent-encoded path (encoded once more, as AWS does)."""
    path = quote(raw_path or "/", safe="/~")
    header_lines = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers)
    return "\n".join([method, path, query, header_lines, ";".join(signed_headers), payload_hash])


def string_to_sign(amz_date: str, credential: Credential, canonical: str) -> str:
    """The SigV4 string to sign."""
    scope = f"{credential.date}/{credential.region}/{credential.service}/aws4_request"
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def parse_authorization(value: str) -> tuple[Credential, list[str], str]:
    """Split an ``Authorization: AWS4-HMAC-SHA256 ...`` header; malformed -> IncompleteSignature."""
    algorithm, _, rest = value.partition(" ")
    if algorithm != ALGORITHM:
        raise ApiError("IncompleteSignature", f"Unsupported AWS 'algorithm': '{algorithm}'.", 400)
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, val = part.strip().partition("=")
        if sep:
            fields[name] = val
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
    if missing:
        raise ApiError(
            "IncompleteSignature",
            f"Authorization header requires '{missing[0]}' parameter. Authorization={value}",
            400,
        )
    credential = parse_credential(fields["Credential"])
    return credential, fields["SignedHeaders"].split(";"), fields["Signature"]


@lru_cache(maxsize=256)  # clients sign every request with the same credential scope
def parse_credential(value: str) -> Credential:
    """Parse ``KEY/DATE/REGION/SERVICE/aws4_request``."""
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise ApiError("IncompleteSignature", f"Credential should be scoped correctly: '{value}'.", 400)
    return Credential(parts[0], parts[1], parts[2], parts[3])


def verify_header_signature(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    secrets: dict[str, str] | None,
    now: float | None = None,
) -> Credential:
    """Check the ``Authorization`` header of a request; return its credential (key and scope).

    ``secrets`` None means ``--auth any``: only the shape of the signature is checked. The region is the
    caller's: the emulator serves every region, each with its own state.
    """
    value = headers.get("authorization")
    if not value:
        raise ApiError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    credential, signed_headers, signature = parse_authorization(value)
    if not valid_region(credential.region):
        raise ApiError(
            "SignatureDoesNotMatch",
            f"Credential should be scoped to a valid region, not '{credential.region}'. ",
            403,
        )
    if secrets is None:
        return credential
    secret = secrets.get(credential.key)
    if secret is None:
        raise ApiError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    amz_date = headers.get("x-amz-date", "")
    _check_skew(amz_date, time.time() if now is None else now)
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = canonical_request(
        method, raw_path, canonical_query(raw_query), headers, signed_headers, payload_hash
    )
    expected = hmac.new(
        signing_key(secret, credential),
        string_to_sign(amz_date, credential, canonical).encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ApiError("SignatureDoesNotMatch", SIGNATURE_MISMATCH, 403)
    return credential


def _check_skew(amz_date: str, now: float) -> None:
    """Reject a request signed more than 15 minutes away from now, as AWS does."""
    try:
        signed = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise ApiError(
            "IncompleteSignature", "Authorization requires a valid X-Amz-Date header.", 400
        ) from None
    if abs(now - signed) > 15 * 60:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        raise ApiError(
            "SignatureDoesNotMatch",
            f"Signature expired: {amz_date} is now earlier than {stamp} (current time - 15 min.)"
            if signed < now
            else f"Signature not yet current: {amz_date} is still later than {stamp} (current time + 15 min)",
            403,
        )


def presign_url(
    base: str,
    host: str,
    path: str,
    key: str,
    secret: str,
    region: str,
    expires: int,
    now: float,
    extra: dict[str, str] | None = None,
) -> str:
    """A SigV4 pre-signed GET URL (query-string signature, ``UNSIGNED-PAYLOAD``) for ``path`` on ``host``."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    credential = Credential(key, stamp[:8], region, "s3")
    params = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{key}/{stamp[:8]}/{region}/s3/aws4_request",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
        **(extra or {}),
    }
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    canonical = canonical_request("GET", path, query, {"host": host}, ["host"], "UNSIGNED-PAYLOAD")
    signature = hmac.new(
        signing_key(secret, credential), string_to_sign(stamp, credential, canonical).encode(), hashlib.sha256
    ).hexdigest()
    return f"{base}{path}?{query}&X-Amz-Signature={signature}"


def verify_presigned(
    raw_path: str, raw_query: str, host: str, secrets: dict[str, str], now: float, generation: str
) -> str | None:
    """Check a pre-signed URL; return None when valid, else the S3 ``AccessDenied`` message.

    ``generation`` must equal the URL's signed ``X-Sesflow-Generation`` (bumped to expire every URL at once).
    """
    params = dict(parse_qsl(raw_query, keep_blank_values=True))
    try:
        credential = parse_credential(params["X-Amz-Credential"])
        stamp = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
        signature = params["X-Amz-Signature"]
        signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    except (KeyError, ValueError, ApiError):
        return "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
    secret = secrets.get(credential.key)
    if secret is None:
        return "The AWS Access Key Id you provided does not exist in our records."
    canonical = canonical_request(
        "GET",
        raw_path,
        canonical_query(raw_query, drop="X-Amz-Signature"),
        {"host": host},
        params.get("X-Amz-SignedHeaders", "host").split(";"),
        "UNSIGNED-PAYLOAD",
    )
    expected = hmac.new(
        signing_key(secret, credential), string_to_sign(stamp, credential, canonical).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "The request signature we calculated does not match the signature you provided."
    if now > signed_at + expires or params.get("X-Sesflow-Generation") != generation:
        return "Request has expired"
    return None
