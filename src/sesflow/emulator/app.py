"""The ASGI application: one plain ASGI callable that routes to v1, v2, the private endpoints and the page.

A plain callable (rather than a Starlette router with middleware) keeps the SendEmail hot path short; the
app still runs under any ASGI server (uvicorn here).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

from sesflow.emulator import private, v1, v2, web
from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.messages import header_fields
from sesflow.emulator.sending import header_addresses
from sesflow.emulator.sigv4 import verify_header_signature
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.validation import check, check_form
from sesflow.emulator.wire import (
    DROPPED,
    ApiError,
    Request,
    Response,
    json_response,
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
            body = v2.parse_body(req)
            dest = body.get("Destination") or {}
            count = sum(len(dest.get(k) or []) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
            data = ((body.get("Content") or {}).get("Raw") or {}).get("Data")
        if count or not isinstance(data, str):
            return count
        fields = header_fields(base64.b64decode(data), _ADDRESS_HEADERS)
        return len(set(header_addresses([v for values in fields.values() for v in values])))
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
            response = json_response({"message": "Internal error in the sesflow emulator."}, 500)
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
            return await self._api(req, raw_path, "v2")
        if path == "/" and req.method == "POST":
            return await self._api(req, raw_path, "v1")
        if path.startswith("/_sesflow/"):
            found = private.route(req.method, path)
            if found is None:
                return json_response({"error": f"No such endpoint: {req.method} {path}"}, 404)
            handler, params = found
            try:
                return handler(self.state, req, params)
            except ApiError as error:
                return json_response({"error": error.message}, error.status)
        if req.method == "GET" and path in ("/", "/index.html"):
            return web.page()
        return v2_error(ApiError("UnknownOperationException", f"{req.method} {path} {_UNSUPPORTED}.", 404))

    async def _api(self, req: Request, raw_path: str, protocol: str) -> Response:
        state = self.state
        operation = "Unknown"
        params: dict[str, str] = {}
        form: dict[str, str] = {}
        try:
            if protocol == "v2":
                resolved = v2.resolve(req.method, req.path)
                if resolved is None:
                    raise ApiError(
                        "UnknownOperationException", f"{req.method} {req.path} {_UNSUPPORTED}.", 404
                    )
                operation, params = resolved
            else:
                form = req.form()
                operation = form.get("Action", "")
                if not operation:
                    raise ApiError("MissingAction", "Could not find operation to perform.")
            verify_header_signature(
                req.method,
                raw_path,
                req.raw_query,
                req.headers,
                req.body,
                state.secrets,
                self.config.region,
                req.received_at,
            )
            delay = self.config.latency_ms + state.faults.latency_for(operation)
            if delay > 0:
                await asyncio.sleep(delay / 1000.0)
            drop = state.faults.take_drop(operation)
            if drop == "before":
                return DROPPED
            if drop == "after":
                # The call is processed as any other; only its answer is lost with the connection.
                self._process(req, protocol, operation, params, form)
                return DROPPED
        except ApiError as error:
            return self._error(req, protocol, operation, error)
        return self._process(req, protocol, operation, params, form)

    def _process(
        self, req: Request, protocol: str, operation: str, params: dict[str, str], form: dict[str, str]
    ) -> Response:
        """Run one API call (fault checks first); its SES error, if any, is raised as ``ApiError``."""
        state = self.state
        try:
            state.faults.check_operation(operation)
            if protocol == "v2":
                handler = v2.HANDLERS.get(operation)
                if handler is None:
                    raise ApiError(
                        "UnknownOperationException", f"The operation {operation} {_UNSUPPORTED}.", 400
                    )
                body = v2.parse_body(req)
                shape = v2.input_shape(operation)
                if shape is not None:
                    check(shape, body, "")
                return handler(state, req, params, body)
            action = v1.ACTIONS.get(operation)
            if action is None:
                raise ApiError("InvalidAction", f"The action {operation} {_UNSUPPORTED}.")
            shape = v2.input_shape(operation, "ses")
            if shape is not None:
                check_form(shape, form)
            return action(state, req, form)
        except ApiError as error:
            return self._error(req, protocol, operation, error)

    def _error(self, req: Request, protocol: str, operation: str, error: ApiError) -> Response:
        """The error answer in the API's format; a failed send attempt also goes to the sends log."""
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
