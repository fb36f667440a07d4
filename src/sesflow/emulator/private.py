"""The emulator's own endpoints under ``/_sesflow/``: health, the sends log, seeding, message inspection,
late events, fault injection, the pre-signed export downloads and the unsubscribe link of list management.

Endpoints that act on account state take an optional ``region`` (default: ``--region``) and ``account``
(default: the emulator's default account).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from sesflow.emulator import inspection
from sesflow.emulator.contacts import apply_unsubscribe, read_token
from sesflow.emulator.dedicated import lease
from sesflow.emulator.exports import records, render_chunks
from sesflow.emulator.history import seed_history
from sesflow.emulator.messages import MessageView
from sesflow.emulator.region import Region
from sesflow.emulator.scope import DEFAULT_ACCOUNT, Scope, valid_region
from sesflow.emulator.seeding import parse_time
from sesflow.emulator.sigv4 import verify_presigned
from sesflow.emulator.simulator import ACCOUNT_SUPPRESSED, COMPLAINT, HARD_BOUNCE, SOFT_BOUNCE, simulator_box
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.suppression import suppress
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


def _region(state: EmulatorState, where: dict[str, Any]) -> Region:
    """The account state a hook acts on: ``region``/``account`` from the body or query, else the defaults."""
    name = where.get("region") or state.config.region
    account = where.get("account") or DEFAULT_ACCOUNT
    if not isinstance(name, str) or not valid_region(name):
        raise ApiError("BadRequest", f"'region' must be a region name such as us-east-1, got {name!r}.")
    if not isinstance(account, str) or not (account.isdigit() and len(account) == 12):
        raise ApiError("BadRequest", f"'account' must be a 12-digit account id, got {account!r}.")
    return state.region(Scope(account, name))


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
    region = _region(state, body)
    batch = seed_history(
        state.store,
        region,
        body,
        parse_time(body["start"], "start"),
        parse_time(body["end"], "end"),
        seed_value,
        req.received_at,
    )
    return json_response({"seeded": len(batch.times)})


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
    _suppress_after(state, view, spec, destination, when)
    return json_response({"added": True})


def _suppress_after(
    state: EmulatorState, view: MessageView, spec: tuple[str, Any], destination: str, when: float
) -> None:
    """A hard bounce or complaint puts the address on the account suppression list, as SES does
    (when the list covers that reason; never for the mailbox simulator)."""
    kind, details = spec
    bounce = (details or {}).get("Bounce", {})
    if (
        kind == "BOUNCE"
        and bounce.get("BounceType") == "PERMANENT"
        and bounce.get("BounceSubType") == "General"
    ):
        reason = "BOUNCE"
    elif kind == "COMPLAINT":
        reason = "COMPLAINT"
    else:
        return
    if simulator_box(destination) is not None:
        return
    region = state.region(Scope(view.account, view.region or state.config.region))
    if reason in region.settings.get("SuppressionAttributes", {}).get("SuppressedReasons", []):
        attributes = {"MessageId": view.message_id}
        if reason == "COMPLAINT":
            attributes["FeedbackId"] = f"{view.message_id[:-7]}-feedback"
        suppress(region, destination, reason, when, attributes)


_UNSUBSCRIBED_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Unsubscribed</title></head><body>"
    "<h1>You are unsubscribed</h1><p>{what}</p></body></html>"
)


def unsubscribe(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """The List-Unsubscribe link: GET shows what it does and POST (one-click, RFC 8058) or GET with
    ``confirm=1`` opts the contact out of the topic (or of the whole list)."""
    token = req.query().get("token", "")
    try:
        account, name, list_name, address, topic = read_token(token)
    except ValueError:
        raise ApiError("NotFound", "This unsubscribe link is not valid.", 404) from None
    region = state.region(Scope(str(account), str(name)))
    if region.get("contact_lists", (str(list_name),)) is None:
        raise ApiError("NotFound", f"The contact list {list_name} no longer exists.", 404)
    what = f"{address} no longer receives {'topic ' + str(topic) if topic else 'mail'} from list {list_name}."
    if req.method == "POST" or req.query().get("confirm") == "1":
        apply_unsubscribe(region, token, req.received_at)
        page = _UNSUBSCRIBED_PAGE.format(what=what)
        return Response(200, page.encode(), content_type="text/html; charset=utf-8")
    form = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Unsubscribe</title></head><body>"
        f"<form method=post><p>Unsubscribe {address} from {'topic ' + str(topic) if topic else 'everything'} "
        f"of list {list_name}?</p><button type=submit>Unsubscribe</button></form></body></html>"
    )
    return Response(200, form.encode(), content_type="text/html; charset=utf-8")


def put_object(state: EmulatorState, req: Request, params: dict[str, str]) -> Response:
    """Store an object for ``s3://BUCKET/KEY`` (what an import job reads)."""
    state.put_object(params["path"], req.body)
    return json_response({"stored": f"s3://{params['path']}", "bytes": len(req.body)})


def get_object(state: EmulatorState, _: Request, params: dict[str, str]) -> Response:
    """An object stored with ``PUT``."""
    data = state.get_object(params["path"])
    if data is None:
        raise ApiError("NotFound", f"s3://{params['path']} does not exist.", 404)
    return Response(200, data, content_type="application/octet-stream")


def lease_ips(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """Lease dedicated IPs to the account: ``{"ips": ["198.51.100.7"], "pool": "name" (optional)}``."""
    body = _json_body(req)
    ips = body.get("ips")
    if not isinstance(ips, list) or not ips or not all(isinstance(ip, str) for ip in ips):
        raise ApiError("BadRequest", "'ips' must be a non-empty list of IP addresses.")
    region = _region(state, body)
    pool = body.get("pool")
    if pool is not None and region.get("dedicated_ip_pools", (pool,)) is None:
        raise ApiError("BadRequest", f"'pool': dedicated IP pool {pool!r} does not exist.")
    try:
        leased = lease(region, ips, pool, req.received_at)
    except ValueError as error:
        raise ApiError("BadRequest", f"'ips': {error}.") from None
    return json_response({"leased": leased})


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
    job = state.regions.find_job(params["id"])
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
        ("GET", "/messages", inspection.list_messages),
        ("DELETE", "/messages", inspection.clear_messages),
        ("GET", r"/messages/(?P<id>[^/]+)", inspection.message_detail),
        ("GET", r"/messages/(?P<id>[^/]+)/raw", inspection.raw_message),
        ("GET", r"/messages/(?P<id>[^/]+)/attachments/(?P<n>\d+)", inspection.attachment),
        ("POST", r"/messages/(?P<id>[^/]+)/events", add_event),
        ("POST", "/faults", add_faults),
        ("DELETE", "/faults", clear_faults),
        ("GET", r"/exports/(?P<id>[^/]+)", download),
        ("GET", "/unsubscribe", unsubscribe),
        ("POST", "/unsubscribe", unsubscribe),
        ("PUT", r"/s3/(?P<path>[^/]+/.+)", put_object),
        ("GET", r"/s3/(?P<path>[^/]+/.+)", get_object),
        ("POST", "/dedicated-ips", lease_ips),
    )
]


def route(method: str, path: str) -> tuple[PrivateHandler, dict[str, str]] | None:
    """The handler and parameters of a private endpoint, or None."""
    for route_method, regex, handler in ROUTES:
        found = regex.match(path)
        if found and route_method == method:
            return handler, found.groupdict()
    return None
