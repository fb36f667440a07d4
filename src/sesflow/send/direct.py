"""The lean way a send reaches SES: the request signed here (SigV4) and written on a kept-alive connection
of the sending thread, instead of through botocore's per-call machinery (user-agent rebuilding, event hooks,
request objects, urllib3), which costs about three times the CPU per send.

Everything that decides *where* and *as whom* a request goes still comes from botocore, read off the client
and session SESTransport builds, so behaviour matches boto3: the endpoint (``client.meta.endpoint_url``, which
honours ``endpoint_url=``, ``AWS_ENDPOINT_URL_SESV2``/``AWS_ENDPOINT_URL_SES``, FIPS and dual-stack settings),
the region and signing name, the credentials (frozen per request, so refreshable ones refresh), the user agent
and the CA bundle (``ca_bundle``/``AWS_CA_BUNDLE``, ``REQUESTS_CA_BUNDLE``, else botocore's). When a proxy
applies to the endpoint, ``direct_sender`` returns None: botocore (``BotocoreTransport``) must send then.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sesflow.errors import ConfigError
from sesflow.send.connection import ThreadConnections
from sesflow.send.error_codes import from_answer, no_credentials, outcome_unknown
from sesflow.send.sigv4 import Signer, amz_date, canonical_host
from sesflow.send.wire import (
    V1_CONTENT_TYPE,
    V2_BULK_PATH,
    V2_CONTENT_TYPE,
    V2_PATH,
    UnreadableAnswer,
    bulk_results,
    error_of,
    message_id,
    request_path,
    v1_body,
    v2_body,
)


class DirectSender:
    """Signs and sends SES v2 ``SendEmail`` or v1 ``SendRawEmail`` requests itself, and (v2) templated
    ``SendEmail`` and ``SendBulkEmail``. Thread-safe.

    ``send`` takes the parameters botocore's ``send_email``/``send_raw_email`` would take and returns the
    SES MessageId, or raises the SendError a botocore call would have led to. ``validate`` (botocore's
    parameter validation) is applied when the call carries SES options beyond the ones sesflow builds.
    ``send_templated`` and ``send_bulk`` take parameters the Mailer has checked already.
    """

    def __init__(
        self,
        *,
        api: str,
        endpoint_url: str,
        region: str,
        signing_name: str,
        api_version: str,
        credentials: Any,
        user_agent: str,
        connections: ThreadConnections,
        validate: Callable[[Mapping[str, Any]], None],
    ) -> None:
        self.api = api
        self.endpoint_url = endpoint_url
        self._signer = Signer(region, signing_name)
        self._version = api_version
        self._credentials = credentials
        self._user_agent = user_agent
        self._host = canonical_host(endpoint_url)
        self._path = request_path(endpoint_url, V2_PATH if api == "v2" else "/")
        self._bulk_path = request_path(endpoint_url, V2_BULK_PATH)
        self._content_type = V2_CONTENT_TYPE if api == "v2" else V1_CONTENT_TYPE
        self._connections = connections
        self._validate = validate
        self._operation = "SendEmail" if api == "v2" else "SendRawEmail"
        self._built_in = frozenset(
            ("FromEmailAddress", "Destination", "Content")
            if api == "v2"
            else ("Source", "Destinations", "RawMessage")
        )

    def send(self, params: Mapping[str, Any]) -> str:
        """Make one send request with botocore-style ``params``; the SES MessageId, or a SendError."""
        if not self._built_in.issuperset(params):
            self._validate(params)  # raises ParamValidationError, as botocore would before sending
        body = v2_body(params) if self.api == "v2" else v1_body(params, self._version)
        answer = self._post(self._path, body, self._operation)
        try:
            return message_id(self.api, answer)
        except UnreadableAnswer as exc:
            # A 2xx means SES took the message; without its id the outcome is not knowable here.
            raise outcome_unknown(exc) from exc

    def send_templated(self, params: Mapping[str, Any]) -> str:
        """One v2 SendEmail with ``Content.Template`` (``params`` checked by the caller); the MessageId."""
        self._require_v2("SendEmail with a template")
        answer = self._post(self._path, v2_body(params), "SendEmail")
        try:
            return message_id("v2", answer)
        except UnreadableAnswer as exc:
            raise outcome_unknown(exc) from exc

    def send_bulk(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One v2 SendBulkEmail (``params`` checked by the caller); its BulkEmailEntryResults."""
        self._require_v2("SendBulkEmail")
        answer = self._post(self._bulk_path, v2_body(params), "SendBulkEmail")
        try:
            return bulk_results(answer, len(params.get("BulkEmailEntries") or ()))
        except UnreadableAnswer as exc:
            raise outcome_unknown(exc) from exc

    def request(self, params: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, str], bytes]:
        """The signed send request (path, headers with lower-case names, body) for ``params`` at ``now``
        (UTC)."""
        if not self._built_in.issuperset(params):
            self._validate(params)  # raises ParamValidationError, as botocore would before sending
        body = v2_body(params) if self.api == "v2" else v1_body(params, self._version)
        return self._path, self._signed(self._path, body, now), body

    def _post(self, path: str, body: bytes, operation: str) -> bytes:
        """POST ``body`` to ``path``, signed now: the body of a 2xx answer, else the SendError it means."""
        answer = self._connections.exchange("POST", path, body, self._signed(path, body, datetime.now(UTC)))
        if 200 <= answer.status < 300:
            return answer.body
        code, text = error_of(self.api, answer.status, answer.headers, answer.body)
        if not text:
            # botocore's ClientError text for an answer without a message.
            text = f"An error occurred ({code or 'Unknown'}) when calling the {operation} operation: Unknown"
        raise from_answer(code or None, text, answer.status)

    def _signed(self, path: str, body: bytes, now: datetime) -> dict[str, str]:
        key, secret, token = self._frozen_credentials()
        stamp = amz_date(now)
        headers = {"content-type": self._content_type, "host": self._host, "x-amz-date": stamp}
        if token:
            headers["x-amz-security-token"] = token
        payload_sha256 = hashlib.sha256(body).hexdigest()
        headers["authorization"] = self._signer.authorization(
            "POST", path, headers, payload_sha256, key, secret, stamp
        )
        headers["user-agent"] = self._user_agent
        return headers

    def _require_v2(self, what: str) -> None:
        if self.api != "v2":
            raise ConfigError(
                f"{what} is an SES v2 operation; this transport sends through v1 (api='v1').",
                hint="Build the transport or Mailer with api='v2' (the default) for templated sends.",
            )

    def _frozen_credentials(self) -> tuple[str, str, str | None]:
        from botocore.exceptions import BotoCoreError

        if self._credentials is None:
            raise no_credentials("Unable to locate credentials")
        try:
            # Refreshable credentials (SSO, assumed roles, IMDS) refresh here when they are about to expire.
            frozen = self._credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise no_credentials(exc) from exc
        if not frozen.access_key or not frozen.secret_key:
            raise no_credentials("the access key or the secret key is empty")
        return frozen.access_key, frozen.secret_key, frozen.token

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._connections.close()


def direct_sender(
    client: Any, session: Any, api: str, *, connect_timeout: float, read_timeout: float
) -> DirectSender | None:
    """A DirectSender sending where and as whom ``client`` (built from the boto3 ``session``) would; None
    when a proxy applies to the endpoint (then botocore, which speaks to proxies, must send)."""
    from botocore.validate import validate_parameters

    endpoint_url: str = client.meta.endpoint_url
    scheme = endpoint_url.split(":", 1)[0].lower()
    if proxy_for(client) is not None or scheme not in ("http", "https"):
        return None
    service_model = client.meta.service_model
    operation = service_model.operation_model("SendEmail" if api == "v2" else "SendRawEmail")

    def validate(params: Mapping[str, Any]) -> None:
        validate_parameters(params, operation.input_shape)

    connections = ThreadConnections(
        endpoint_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        ssl_context=_ssl_context(session) if scheme == "https" else None,
    )
    return DirectSender(
        api=api,
        endpoint_url=endpoint_url,
        region=client.meta.region_name,
        signing_name=service_model.signing_name,
        api_version=service_model.api_version,
        credentials=session.get_credentials(),
        user_agent=_user_agent(client),
        connections=connections,
        validate=validate,
    )


def proxy_for(client: Any) -> str | None:
    """The proxy botocore would send ``client``'s requests through, or None: the client config's proxies,
    else the environment's (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), as botocore decides."""
    from botocore.utils import get_environ_proxies

    endpoint_url: str = client.meta.endpoint_url
    proxies = client.meta.config.proxies
    if proxies is None:
        proxies = get_environ_proxies(endpoint_url)
    found = proxies.get(endpoint_url.split(":", 1)[0].lower())
    return str(found) if found else None


def _user_agent(client: Any) -> str:
    # botocore builds the header from the client's config (user_agent_extra="sesflow", app id, retry mode);
    # one string per client, computed once instead of on every call.
    creator = getattr(client, "_user_agent_creator", None)
    agent = creator.to_string() if creator is not None else ""
    if not agent:
        import botocore

        agent = f"Botocore/{botocore.__version__}"
    return agent if "sesflow" in agent else f"{agent} sesflow"


def _ssl_context(session: Any) -> ssl.SSLContext:
    """Verification as botocore's: the ``ca_bundle`` setting (``AWS_CA_BUNDLE``), else ``REQUESTS_CA_BUNDLE``,
    else botocore's bundle (certifi's when installed)."""
    from botocore.httpsession import get_cert_path

    core = getattr(session, "_session", session)
    bundle: Any = core.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or True
    path = get_cert_path(bundle)
    if isinstance(path, str) and os.path.isdir(path):
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path if isinstance(path, str) else None)


__all__ = ["DirectSender", "direct_sender", "proxy_for"]
