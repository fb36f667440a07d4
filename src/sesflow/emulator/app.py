"""The ASGI application: routes SES v1 (``POST /`` with ``Action=``), SES v2 (``/v2/email/...``, routes from
botocore's model), the private ``/_sesflow/`` endpoints and the page.

An API call goes: route -> SigV4 (the credential scope picks the account and region) -> injected latency,
dropped connections and errors -> parameters decoded and validated against the input shape -> the handler
from ``operations`` -> the answer written through the output shape (JSON for v2, XML for v1).

A plain ASGI callable (rather than a Starlette router with middleware) keeps the SendEmail hot path short.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

from sesflow.emulator import model, private, query, restjson, web
from sesflow.emulator.addresses import bare_address, header_addresses
from sesflow.emulator.call import Call, conform
from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.messages import header_fields
from sesflow.emulator.operations import handler as operation_handler
from sesflow.emulator.scope import Scope, account_for_key
from sesflow.emulator.sigv4 import verify_header_signature
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.validation import check
from sesflow.emulator.wire import (
    DROPPED,
    ApiError,
    Request,
    Response,
    json_response,
    request_id,
    v1_error,
    v2_error,
)

log = logging.getLogger("sesflow.emulator")

_SEND_OPERATIONS = {"SendEmail", "SendRawEmail"}
CONNECTION_EXTENSION = "sesflow.connection"
_UNSUPPORTED = "is not supported by the sesflow emulator"
_ADDRESS_HEADERS = frozenset({"to", "cc", "bcc"})


def _count_recipients(req: Request, protocol: str) -> int:
    """Best-effort recipient count of a send that failed before it was decoded (for the sends log).

    Explicit destinations when given, else the To/Cc/Bcc headers of a raw message (as a send would count).
    """
    try:
        if protocol == "v1":
            form = req.form()
            count = sum(1 for k in form if ".member." in k and ("Destination" in k))
            data = form.get("RawMessage.Data")
        else:
            body = restjson.parse_body(req.body)
            dest = body.get("Destination") or {}
            count = sum(len(dest.get(k) or []) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
            data = ((body.get("Content") or {}).get("Raw") or {}).get("Data")
        if count or not isinstance(data, str):
            return count
        fields = header_fields(base64.b64decode(data), _ADDRESS_HEADERS)
        found = header_addresses([v for values in fields.values() for v in values])
        return len({bare_address(a) for a in found})
    except Exception:
        return 0


class EmulatorApp:
    """The ASGI app of one emulator. ``state`` holds everything; it is only touched from the event loop."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.state = EmulatorState(config)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path = scope.get("raw_path") or scope["path"].encode()
        req = Request(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            b"".join(chunks) if len(chunks) > 1 else chunks[0],
            round(time.time(), 3),  # SES reports times to the millisecond
        )
        try:
            response = await self.handle(req, raw_path.decode("latin-1"))
        except Exception:  # a bug of ours must not leak a traceback to the client
            log.exception("unexpected error on %s %s", req.method, req.path)
            failure = ApiError(
                "InternalFailure", "Internal error in the sesflow emulator.", 500, sender_fault=False
            )
            response = v1_error(failure) if req.path == "/" and req.method == "POST" else v2_error(failure)
        if response.drop:
            await _drop_connection(scope, send)
            return
        await self._send(send, response)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.state.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _send(send: Any, response: Response) -> None:
        headers = [(b"content-type", response.content_type.encode()), *response.headers]
        if response.stream is None:
            length = response.declared_length or len(response.body)
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if response.declared_length is not None:
            # A cut-short download: the server closes the connection once the app returns.
            await send({"type": "http.response.body", "body": response.body, "more_body": True})
            return
        if response.stream is None:
            await send({"type": "http.response.body", "body": response.body})
            return
        async for chunk in response.stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def handle(self, req: Request, raw_path: str) -> Response:
        """Route one request."""
        path = req.path
        if path.startswith("/v2/"):
            return await self._api(req, raw_path, "sesv2")
        if path == "/" and req.method == "POST":
            return await self._api(req, raw_path, "ses")
        if path.startswith("/_sesflow/"):
            found = private.route(req.method, path)
            if found is None:
                return json_response({"error": f"No such endpoint: {req.method} {path}"}, 404)
            endpoint, params = found
            try:
                return endpoint(self.state, req, params)
            except ApiError as error:
                return json_response({"error": error.message}, error.status)
        if req.method == "GET" and path in ("/", "/index.html"):
            return web.page()
        return v2_error(ApiError("UnknownOperationException", f"{req.method} {path} {_UNSUPPORTED}.", 404))

    async def _api(self, req: Request, raw_path: str, service: str) -> Response:
        state = self.state
        operation = "Unknown"
        path_params: dict[str, str] = {}
        form: dict[str, str] = {}
        try:
            if service == "sesv2":
                resolved = model.resolve(req.method, raw_path.split("?")[0])
                if resolved is None:
                    raise ApiError(
                        "UnknownOperationException", f"{req.method} {req.path} {_UNSUPPORTED}.", 404
                    )
                operation, path_params = resolved
            else:
                form = req.form()
                operation = form.get("Action", "")
                if not operation:
                    raise ApiError("MissingAction", "Could not find operation to perform.")
            credential = verify_header_signature(
                req.method, raw_path, req.raw_query, req.headers, req.body, state.secrets, req.received_at
            )
            scope = Scope(account_for_key(credential.key), credential.region)
            delay = self.config.latency_ms + state.faults.latency_for(operation)
            if delay > 0:
                await asyncio.sleep(delay / 1000.0)
            drop = state.faults.take_drop(operation)
        except ApiError as error:
            return self._error(req, service, operation, error)
        if drop == "before":
            return DROPPED
        response = self._process(req, service, operation, path_params, form, scope)
        # "after": the call was processed as any other; only its answer is lost with the connection.
        return DROPPED if drop == "after" else response

    def _process(
        self,
        req: Request,
        service: str,
        operation: str,
        path_params: dict[str, str],
        form: dict[str, str],
        scope: Scope,
    ) -> Response:
        """Run one API call (fault checks first); an SES error becomes the API's error answer."""
        state = self.state
        try:
            state.faults.check_operation(operation)
            handler = operation_handler(service, operation)
            if handler is None:
                if service == "ses":
                    message = f"The action {operation} is not valid for this web service."
                    raise ApiError("InvalidAction", message)
                raise ApiError("UnknownOperationException", f"The operation {operation} {_UNSUPPORTED}.", 400)
            shape = model.input_shape(service, operation)
            if service == "sesv2":
                body = restjson.parse_body(req.body)
                params = restjson.request_params(shape, path_params, req.raw_query, body)
                if shape is not None:
                    check(shape, params)
                    params = restjson.decode(shape, params)
            else:
                params = query.decode_form(shape, form)
                if shape is not None:
                    check(shape, params, code="ValidationError")
            call = Call(state, state.region(scope), service, operation, params, req)
            try:
                result = handler(call)
            except ApiError as error:
                raise conform(call, error) from None
            output = model.output_shape(service, operation)
            if service == "ses":
                return query.answer(operation, output, result)
            return Response(
                200,
                restjson.answer_body(output, result),
                headers=[(b"x-amzn-requestid", request_id().encode())],
            )
        except ApiError as error:
            return self._error(req, service, operation, error)

    def _error(self, req: Request, service: str, operation: str, error: ApiError) -> Response:
        """The error answer in the API's format; a failed send attempt also goes to the sends log."""
        protocol = "v1" if service == "ses" else "v2"
        if operation in _SEND_OPERATIONS and error.status != 200 and not error.logged:
            self.state.log.record(req.received_at, _count_recipients(req, protocol), error.status, operation)
        return v1_error(error) if protocol == "v1" else v2_error(error)


async def _drop_connection(scope: dict[str, Any], send: Any) -> None:
    """Close the client's TCP connection without any answer (the ``drop_connection`` fault).

    The server protocol (``server.DroppableProtocol``) puts the connection's abort in the scope; under
    another ASGI server the best we can do is a response cut short after its status line.
    """
    abort = scope.get("extensions", {}).get(CONNECTION_EXTENSION, {}).get("abort")
    if abort is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        return
    abort()
    await asyncio.sleep(0)  # let the server see the connection lost before this app returns


def create_app(config: EmulatorConfig | None = None) -> EmulatorApp:
    """An emulator ASGI app with ``config`` (defaults when None)."""
    return EmulatorApp(config or EmulatorConfig())
