"""Looking into the mailbox (``GET /_sesflow/messages`` and the page): messages newest first with their
events, one message's bodies and attachments, its raw bytes.
"""

from __future__ import annotations

import itertools
from typing import Any

from sesflow.emulator.exports import iso
from sesflow.emulator.messages import MessageView, last_events, parse_message
from sesflow.emulator.seeding import parse_time
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request, Response, json_response


def summary(view: MessageView, now: float) -> dict[str, Any]:
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
        "Region": view.region,
        "ConfigurationSet": view.configuration_set,
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
        found.append(summary(view, req.received_at))
    total = state.store.count() + len(state.store.replies)
    return json_response({"messages": found, "offset": offset, "limit": limit, "total": total})


def clear_messages(state: EmulatorState, _: Request, __: dict[str, str]) -> Response:
    """Forget every message and the sends log."""
    state.store.clear_messages()
    state.log.clear()
    return json_response({"deleted": True})


def live_message(state: EmulatorState, message_id: str) -> Any:
    message = state.store.stored(message_id)
    if message is None:
        kind = "is seeded history and has no MIME body" if state.store.find(message_id) else "does not exist"
        raise ApiError("NotFound", f"Message {message_id} {kind}.", 404)
    return message


def raw_message(state: EmulatorState, _: Request, params: dict[str, str]) -> Response:
    """The .eml bytes of a sent message."""
    message = live_message(state, params["id"])
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
    detail = summary(view, req.received_at)
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
    parsed = parse_message(live_message(state, params["id"]).raw)
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
