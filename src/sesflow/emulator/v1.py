"""SES v1 (query protocol: ``POST /`` with a form-encoded ``Action=``), answering in XML."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from sesflow.emulator.sending import Outgoing, bare_address, simple_raw
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request, Response, v1_response

Action = Callable[[EmulatorState, Request, dict[str, str]], Response]


def _members(form: dict[str, str], prefix: str) -> list[str]:
    """The values of a query-protocol list ``prefix.member.N`` in order."""
    values: list[str] = []
    n = 1
    while f"{prefix}.member.{n}" in form:
        values.append(form[f"{prefix}.member.{n}"])
        n += 1
    return values


def _tags(form: dict[str, str]) -> list[tuple[str, str]]:
    tags: list[tuple[str, str]] = []
    n = 1
    while f"Tags.member.{n}.Name" in form:
        tags.append((form[f"Tags.member.{n}.Name"], form.get(f"Tags.member.{n}.Value", "")))
        n += 1
    return tags


def _required(form: dict[str, str], key: str, member: str) -> str:
    value = form.get(key)
    if value is None:
        raise ApiError(
            "ValidationError",
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
            "Member must not be null",
        )
    return value


def send_raw_email(state: EmulatorState, req: Request, form: dict[str, str]) -> Response:
    """SendRawEmail."""
    data = _required(form, "RawMessage.Data", "rawMessage.data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("InvalidParameterValue", "RawMessage.Data is not valid base64.") from None
    source = form.get("Source")
    destinations = [bare_address(a) for a in _members(form, "Destinations")]
    out = Outgoing(
        "SendRawEmail",
        "v1",
        bare_address(source) if source else None,
        destinations or None,
        raw,
        _tags(form),
        form.get("ConfigurationSetName"),
    )
    message_id = state.sender.send(out, req.received_at)
    return v1_response("SendRawEmail", {"MessageId": message_id})


def send_email(state: EmulatorState, req: Request, form: dict[str, str]) -> Response:
    """SendEmail (formatted: subject + text and/or HTML body)."""
    source = _required(form, "Source", "source")
    subject = _required(form, "Message.Subject.Data", "message.subject.data")
    text = form.get("Message.Body.Text.Data")
    html = form.get("Message.Body.Html.Data")
    if text is None and html is None:
        raise ApiError("InvalidParameterValue", "Message body must have Text or Html.")
    to = [bare_address(a) for a in _members(form, "Destination.ToAddresses")]
    cc = [bare_address(a) for a in _members(form, "Destination.CcAddresses")]
    bcc = [bare_address(a) for a in _members(form, "Destination.BccAddresses")]
    raw = simple_raw(source, to, cc, subject, text, html, _members(form, "ReplyToAddresses"))
    out = Outgoing(
        "SendEmail",
        "v1",
        bare_address(source),
        (to + cc + bcc) or None,
        raw,
        _tags(form),
        form.get("ConfigurationSetName"),
    )
    message_id = state.sender.send(out, req.received_at)
    return v1_response("SendEmail", {"MessageId": message_id})


def get_send_quota(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """GetSendQuota."""
    return v1_response(
        "GetSendQuota",
        {
            "Max24HourSend": float(state.config.max_24h_send),
            "MaxSendRate": float(state.config.max_send_rate),
            "SentLast24Hours": float(state.sender.limiter.sent_last_24h(req.received_at)),
        },
    )


def get_send_statistics(state: EmulatorState, req: Request, _: dict[str, str]) -> Response:
    """GetSendStatistics: 15-minute data points of the last two weeks of sent messages."""
    since = req.received_at - 14 * 86_400
    buckets: dict[int, dict[str, int]] = {}
    for message in state.store.live:
        if message.sent_at < since:
            continue
        point = buckets.setdefault(
            int(message.sent_at // 900) * 900,
            {"DeliveryAttempts": 0, "Bounces": 0, "Complaints": 0, "Rejects": 0},
        )
        point["DeliveryAttempts"] += len(message.destinations)
        for event in message.events:
            if event[0] > req.received_at:
                continue
            if event[1] == "BOUNCE":
                point["Bounces"] += 1
            elif event[1] == "COMPLAINT":
                point["Complaints"] += 1
    from sesflow.emulator.exports import iso

    points: list[Any] = [{"Timestamp": iso(t), **counts} for t, counts in sorted(buckets.items())]
    return v1_response("GetSendStatistics", {"SendDataPoints": points})


def verify_email_identity(state: EmulatorState, req: Request, form: dict[str, str]) -> Response:
    """VerifyEmailIdentity: verified at once in the emulator."""
    address = _required(form, "EmailAddress", "emailAddress")
    if "@" not in address:
        raise ApiError("InvalidParameterValue", f"Invalid email address <{address}>.")
    state.store.add_identity(address, "EMAIL_ADDRESS", req.received_at)
    return v1_response("VerifyEmailIdentity", {})


def verify_domain_identity(state: EmulatorState, req: Request, form: dict[str, str]) -> Response:
    """VerifyDomainIdentity: verified at once; returns a verification token."""
    domain = _required(form, "Domain", "domain")
    if "@" in domain or "." not in domain:
        raise ApiError("InvalidParameterValue", f"Invalid domain name <{domain}>.")
    state.store.add_identity(domain, "DOMAIN", req.received_at)
    token = base64.b64encode(domain.encode()).decode()
    return v1_response("VerifyDomainIdentity", {"VerificationToken": token})


def list_identities(state: EmulatorState, _: Request, form: dict[str, str]) -> Response:
    """ListIdentities (IdentityType filter, MaxItems/NextToken paging)."""
    kind = form.get("IdentityType")
    wanted = {"EmailAddress": "EMAIL_ADDRESS", "Domain": "DOMAIN"}.get(kind or "")
    if kind and wanted is None:
        raise ApiError("InvalidParameterValue", "IdentityType must be EmailAddress or Domain.")
    names = [n for n, (k, _) in sorted(state.store.identities.items()) if wanted in (None, k)]
    start = int(form["NextToken"]) if form.get("NextToken", "").isdigit() else 0
    size = int(form.get("MaxItems") or 1000)
    result: dict[str, Any] = {"Identities": names[start : start + size]}
    if start + size < len(names):
        result["NextToken"] = str(start + size)
    return v1_response("ListIdentities", result)


def delete_identity(state: EmulatorState, _: Request, form: dict[str, str]) -> Response:
    """DeleteIdentity (succeeds also for unknown identities, as SES does)."""
    state.store.delete_identity(_required(form, "Identity", "identity"))
    return v1_response("DeleteIdentity", {})


ACTIONS: dict[str, Action] = {
    "SendRawEmail": send_raw_email,
    "SendEmail": send_email,
    "GetSendQuota": get_send_quota,
    "GetSendStatistics": get_send_statistics,
    "VerifyEmailIdentity": verify_email_identity,
    "VerifyDomainIdentity": verify_domain_identity,
    "ListIdentities": list_identities,
    "DeleteIdentity": delete_identity,
}
