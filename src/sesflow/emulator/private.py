"""The emulator's own endpoints under ``/_sesflow/``: health, the sends log, seeding, message inspection,
late events, fault injection and the pre-signed export downloads.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from sesflow.emulator.exports import iso, records, render_chunks
from sesflow.emulator.messages import MessageView, last_events, parse_message
from sesflow.emulator.seeding import make_batch, parse_time
from sesflow.emulator.sigv4 import verify_presigned
from sesflow.emulator.simulator import ACCOUNT_SUPPRESSED, COMPLAINT, HARD_BOUNCE, SOFT_BOUNCE
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request, Response, json_response, s3_error

PrivateHandler = Callable[[EmulatorState, Request, dict[str, str]], Response]

_EVENT_TYPES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "PERMANENT_BOUNCE": ("BOUNCE", HARD_BOUNCE),
    "BOUNCE": ("BOUNCE", HARD_BOUNCE),
    "TRANSIENT_BOUNCE": ("BOUNCE", SOFT_BOUNCE),
    "UNDETERMINED_BOUNCE": (
        "BOUNCE",
        {"Bounce": {"BounceType": "UNDETERMINED", "BounceSubType": "Undetermined", "DiagnosticCode": ""}},
    ),
    "SUPPRESSED": ("BOUNCE", ACCOUNT_SUPPRESSED),
    "COMPLAINT": ("COMPLAINT", COMPLAINT),
    **{
        name: (name, None)
        for name in (
            "SEND",
            "REJECT",
            "DELIVERY",
            "OPEN",
            "CLICK",
            "RENDERING_FAILURE",
            "DELIVERY_DELAY",
            "SUBSCRIPTION",
        )
    },
}


def _error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def _json_body(req: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(req.body or b"{}")
    except orjson.JSONDecodeError:
        raise ApiError("BadRequest", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("BadRequest", "The body must be a JSON object.")
    return body


def health(state: EmulatorState, _: Request, __: dict[str, str]) -> Response:
    """Liveness and a few counts."""
    return json_response(
        {
            "status": "ok",
            "region": state.config.region,
            "messages": state.store.count(),
            "auth": state.config.auth,
        }
    )


def sends(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """Every send attempt since ``since`` (epoch seconds)."""
    try:
        since = float(req.query().get("since", "0") or 0)
    except ValueError:
        raise ApiError("BadRequest", "'since' must be epoch seconds.") from None
    return json_response({"sends": state.log.since(since)})


def seed(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """Create synthetic history (no MIME bodies)."""
    body = _json_body(req)
    for key in ("start", "end"):
        if key not in body:
            raise ApiError("BadRequest", f"'{key}' (ISO 8601) is required.")
    count, per_day = body.get("count"), body.get("per_day")
    if (count is None) == (per_day is None):
        raise ApiError("BadRequest", "Give exactly one of 'count' and 'per_day'.")
    for name, value in (("count", count), ("per_day", per_day), ("seed", body.get("seed", 0))):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ApiError("BadRequest", f"'{name}' must be a non-negative integer.")
    tags = body.get("tags")
    if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        raise ApiError("BadRequest", "'tags' must be an object of strings.")
    seed_value = body.get("seed")
    if seed_value is None:
        seed_value = state.rng.getrandbits(32)
    batch = make_batch(
        state.store.next_batch_number(),
        count,
        parse_time(body["start"], "start"),
        parse_time(body["end"], "end"),
        seed_value,
        per_day,
        body.get("from"),
        tags,
    )
    state.store.add_batch(batch)
    return json_response({"seeded": len(batch.times)})


def _summary(view: MessageView, now: float) -> dict[str, Any]:
    events = [e for e in view.events if e[0] <= now]
    delivery, engagement = last_events(events)
    return {
        "MessageId": view.message_id,
        "SendTimestamp": iso(view.sent_at),
        "From": view.from_address,
        "Destination": list(view.destinations),
        "Subject": view.subject,
        "Outcome": delivery,
        "Engagement": engagement,
        "Seeded": view.seeded,
        "AutoReplyTo": view.auto_reply_to,
        "Tags": {k: v for k, v in view.tags},
        "Events": [{"Timestamp": iso(t), "Type": k, "Destination": d, "Details": x} for t, k, d, x in events],
    }


def list_messages(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """Messages newest first, filtered by ``recipient``, ``since`` and ``kind``, paged by limit/offset.

    ``kind`` is ``sent`` (the account's messages), ``auto_reply`` (simulator auto-replies that have
    arrived, with ``AutoReplyTo`` naming the MessageId they answer) or absent for both.
    """
    query = req.query()
    kind = query.get("kind") or None
    if kind not in (None, "sent", "auto_reply"):
        raise ApiError("BadRequest", "'kind' must be 'sent' or 'auto_reply'.")
    try:
        limit = int(query.get("limit") or 100)
        offset = int(query.get("offset") or 0)
        since = parse_time(query["since"], "since") if query.get("since") else None
    except ValueError:
        raise ApiError("BadRequest", "'limit' and 'offset' must be integers.") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise ApiError("BadRequest", "'limit' must be 1..1000 and 'offset' >= 0.")
    found: list[dict[str, Any]] = []
    for view in itertools.islice(
        state.store.newest_first(
            since,
            query.get("recipient"),
            sent=kind != "auto_reply",
            replies_until=None if kind == "sent" else req.received_at,
        ),
        offset,
        offset + limit,
    ):
        found.append(_summary(view, req.received_at))
    total = state.store.count() + len(state.store.replies)
    return json_response({"messages": found, "offset": offset, "limit": limit, "total": total})


def clear_messages(state: EmulatorState, _: Request, __: dict[str, str]) -> Response:
    """Forget every message and the sends log."""
    state.store.clear_messages()
    state.log.clear()
    return json_response({"deleted": True})


def _live(state: EmulatorState, message_id: str) -> Any:
    message = state.store.stored(message_id)
    if message is None:
        kind = "is seeded history and has no MIME body" if state.store.find(message_id) else "does not exist"
        raise ApiError("NotFound", f"Message {message_id} {kind}.", 404)
    return message


def raw_message(state: EmulatorState, _: Request, params: dict[str, str]) -> Response:
    """The .eml bytes of a sent message."""
    message = _live(state, params["id"])
    return Response(
        200,
        message.raw,
        content_type="message/rfc822",
        headers=[(b"content-disposition", f'attachment; filename="{message.message_id}.eml"'.encode())],
    )


def message_detail(state: EmulatorState, req: Request, params: dict[str, str]) -> Response:
    """One message for the web page: summary, text and HTML bodies, attachment list."""
    reply = state.store.replies_by_id.get(params["id"])
    view = reply.view() if reply is not None else state.store.find(params["id"])
    if view is None:
        raise ApiError("NotFound", f"Message {params['id']} does not exist.", 404)
    detail = _summary(view, req.received_at)
    detail.update({"Text": None, "Html": None, "Attachments": []})
    live = state.store.stored(params["id"])
    if live is not None:
        parsed = parse_message(live.raw)
        for kind, key in (("plain", "Text"), ("html", "Html")):
            part = parsed.get_body(preferencelist=(kind,))
            if part is not None:
                detail[key] = part.get_content()
        for n, part in enumerate(parsed.iter_attachments()):
            detail["Attachments"].append(
                {
                    "index": n,
                    "filename": part.get_filename() or f"part-{n}",
                    "contentType": part.get_content_type(),
                }
            )
    return json_response(detail)


def attachment(state: EmulatorState, _: Request, params: dict[str, str]) -> Response:
    """One attachment of a sent message, as a download."""
    parsed = parse_message(_live(state, params["id"]).raw)
    parts = list(parsed.iter_attachments())
    n = int(params["n"])
    if n >= len(parts):
        raise ApiError("NotFound", f"Attachment {n} does not exist.", 404)
    part = parts[n]
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    name = (part.get_filename() or f"part-{n}").replace('"', "")
    return Response(
        200,
        data,
        content_type=part.get_content_type(),
        headers=[(b"content-disposition", f'attachment; filename="{name}"'.encode())],
    )


def add_event(state: EmulatorState, req: Request, params: dict[str, str]) -> Response:
    """Add a late event to a stored message."""
    body = _json_body(req)
    spec = _EVENT_TYPES.get(str(body.get("type", "")).upper())
    if spec is None:
        raise ApiError("BadRequest", f"'type' must be one of {', '.join(sorted(_EVENT_TYPES))}.")
    view = state.store.find(params["id"])
    if view is None:
        raise ApiError("NotFound", f"Message {params['id']} does not exist.", 404)
    when = parse_time(body["timestamp"], "timestamp") if "timestamp" in body else req.received_at
    destination = str(body.get("destination") or view.destinations[0])
    state.store.add_event(view.message_id, (when, spec[0], destination, spec[1]))
    return json_response({"added": True})


def add_faults(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """Inject faults."""
    body = _json_body(req)
    state.faults.add(body)
    if body.get("expire_urls"):
        state.expire_urls()
    return json_response({"ok": True})


def clear_faults(state: EmulatorState, _: Request, __: dict[str, str]) -> Response:
    """Clear every fault."""
    state.faults = type(state.faults)(rng=state.faults.rng)
    return json_response({"ok": True})


def download(state: EmulatorState, req: Request, params: dict[str, str]) -> Response:
    """The export file behind a pre-signed URL: checked, then streamed (or cut short by a fault)."""
    secrets = dict(state.config.credentials) if state.config.credentials else {}
    secrets.setdefault(state.url_key[0], state.url_key[1])
    denied = verify_presigned(
        f"/_sesflow/exports/{params['id']}",
        req.raw_query,
        req.host,
        secrets,
        req.received_at,
        state.url_generation,
    )
    if denied is not None:
        return s3_error("AccessDenied", denied)
    job = state.store.jobs.get(params["id"])
    if job is None or job.status(req.received_at) != "COMPLETED":
        return s3_error("NoSuchKey", "The specified key does not exist.", 404)
    content_type = "application/x-ndjson" if job.data_format == "JSON" else "text/csv"
    chunks = render_chunks(job.data_format, records(job, state.store))
    if state.faults.take_truncation():
        whole = b"".join(chunks)
        cut = whole[: max(len(whole) // 2, 1)] if whole else b""
        return Response(200, cut, content_type=content_type, declared_length=len(whole))

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
            await asyncio.sleep(0)

    return Response(200, content_type=content_type, stream=stream())


ROUTES: list[tuple[str, re.Pattern[str], PrivateHandler]] = [
    (method, re.compile(f"^/_sesflow{pattern}$"), handler)
    for method, pattern, handler in (
        ("GET", "/health", health),
        ("GET", "/sends", sends),
        ("POST", "/seed", seed),
        ("GET", "/messages", list_messages),
        ("DELETE", "/messages", clear_messages),
        ("GET", r"/messages/(?P<id>[^/]+)", message_detail),
        ("GET", r"/messages/(?P<id>[^/]+)/raw", raw_message),
        ("GET", r"/messages/(?P<id>[^/]+)/attachments/(?P<n>\d+)", attachment),
        ("POST", r"/messages/(?P<id>[^/]+)/events", add_event),
        ("POST", "/faults", add_faults),
        ("DELETE", "/faults", clear_faults),
        ("GET", r"/exports/(?P<id>[^/]+)", download),
    )
]


def route(method: str, path: str) -> tuple[PrivateHandler, dict[str, str]] | None:
    """The handler and parameters of a private endpoint, or None."""
    for route_method, regex, handler in ROUTES:
        found = regex.match(path)
        if found and route_method == method:
            return handler, found.groupdict()
    return None
