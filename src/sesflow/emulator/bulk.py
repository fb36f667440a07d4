"""Bulk templated sends: v1 SendBulkTemplatedEmail and v2 SendBulkEmail. Up to 50 destinations a call, each
one message of its own with its own status and MessageId; each destination's recipients count against the
sending rate and the daily quota, so a call can come back half throttled.

What fails the whole call (as on SES): an unknown template, a paused account or configuration set, a
configuration set that does not exist, more than 50 destinations. What fails one destination: its
addresses, the rate, the quota. A destination whose data lacks an attribute is accepted and then gets a
RENDERING_FAILURE event.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.addresses import bare_address
from sesflow.emulator.call import Call, Handler, invalid
from sesflow.emulator.region import Record
from sesflow.emulator.sending import Outgoing
from sesflow.emulator.sends import (
    addresses,
    check_routing,
    header_forms,
    rendered_message,
    send,
    template_content,
)
from sesflow.emulator.tags import tag_pairs
from sesflow.emulator.templates import parse_data, template
from sesflow.emulator.wire import ApiError

MAX_DESTINATIONS = 50
# (v2 status, v1 status) of the per-destination failures.
_STATUSES = {
    "MessageRejected": ("MESSAGE_REJECTED", "MessageRejected"),
    "MailFromDomainNotVerifiedException": ("MAIL_FROM_DOMAIN_NOT_VERIFIED", "MailFromDomainNotVerified"),
    "TooManyRequestsException": ("ACCOUNT_THROTTLED", "AccountThrottled"),
    "LimitExceededException": ("ACCOUNT_DAILY_QUOTA_EXCEEDED", "AccountDailyQuotaExceeded"),
    "BadRequestException": ("INVALID_PARAMETER", "InvalidParameterValue"),
    "InvalidParameterValue": ("INVALID_PARAMETER", "InvalidParameterValue"),
}


def _status(call: Call, error: ApiError) -> str:
    if error.code == "Throttling":
        daily = "Daily" in error.message
        pair = _STATUSES["LimitExceededException" if daily else "TooManyRequestsException"]
    else:
        pair = _STATUSES.get(error.code, ("FAILED", "Failed"))
    return pair[1] if call.v1 else pair[0]


def _merge_tags(
    default: list[dict[str, str]] | None, replacement: list[dict[str, str]] | None
) -> list[tuple[str, str]]:
    merged = dict(tag_pairs(default))
    merged.update(tag_pairs(replacement))
    return list(merged.items())


def _merge_headers(
    default: list[dict[str, str]] | None, replacement: list[dict[str, str]] | None
) -> list[dict[str, str]]:
    """The template's headers, each replaced by the destination's header of the same name."""
    names = {h["Name"].lower() for h in replacement or []}
    return [h for h in default or [] if h["Name"].lower() not in names] + list(replacement or [])


def _prepare(call: Call, count: int, configuration_set: str | None) -> None:
    """The checks that fail the whole call."""
    if count > MAX_DESTINATIONS:
        raise invalid(call, f"At most {MAX_DESTINATIONS} destinations per call, got {count}.")
    call.state.sender.check_switches(call.region, call.protocol, configuration_set)


def _one(
    call: Call,
    sender: str,
    destination: Record,
    content: Record,
    data: dict[str, Any],
    name: str,
    tags: list[tuple[str, str]],
    configuration_set: str | None,
    headers: list[dict[str, str]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Record:
    to, cc, bcc = addresses(destination)
    raw, failure = rendered_message(
        call, content, data, sender, *header_forms(destination),
        reply_to=call.params.get("ReplyToAddresses"), headers=headers, attachments=attachments, name=name,
    )  # fmt: skip
    out = Outgoing(
        call.operation, call.protocol, bare_address(sender), (to + cc + bcc) or None, raw, tags,
        configuration_set, rendering_failure=failure, tenant=call.params.get("TenantName"),
    )  # fmt: skip
    try:
        return {"Status": "Success" if call.v1 else "SUCCESS", "MessageId": send(call, out)}
    except ApiError as error:
        return {"Status": _status(call, error), "Error": error.message}


def send_bulk_templated_email(call: Call) -> Record:
    """SendBulkTemplatedEmail (v1)."""
    params = call.params
    name = params.get("Template") or str(params.get("TemplateArn") or "").rpartition("/")[2]
    content = template(call, name)
    default = parse_data(call, params["DefaultTemplateData"], "DefaultTemplateData")
    cset = params.get("ConfigurationSetName")
    _prepare(call, len(params["Destinations"]), cset)
    statuses = []
    for entry in params["Destinations"]:
        data = {
            **default,
            **parse_data(call, entry.get("ReplacementTemplateData"), "ReplacementTemplateData"),
        }
        tags = _merge_tags(params.get("DefaultTags"), entry.get("ReplacementTags"))
        statuses.append(_one(call, params["Source"], entry["Destination"], content, data, name, tags, cset))
    return {"Status": statuses}


def send_bulk_email(call: Call) -> Record:
    """SendBulkEmail (v2): DefaultContent.Template with per-entry replacement data, tags and headers."""
    params = call.params
    sender = params.get("FromEmailAddress")
    if not sender:
        raise invalid(call, "FromEmailAddress is required.")
    spec = (params["DefaultContent"] or {}).get("Template")
    if not spec:
        raise invalid(call, "DefaultContent.Template is required.")
    content, name = template_content(call, spec)
    default = parse_data(call, spec.get("TemplateData"))
    cset = params.get("ConfigurationSetName")
    check_routing(call)
    _prepare(call, len(params["BulkEmailEntries"]), cset)
    results = []
    for entry in params["BulkEmailEntries"]:
        replacement = ((entry.get("ReplacementEmailContent") or {}).get("ReplacementTemplate") or {}).get(
            "ReplacementTemplateData"
        )
        data = {**default, **parse_data(call, replacement, "ReplacementTemplateData")}
        tags = _merge_tags(params.get("DefaultEmailTags"), entry.get("ReplacementTags"))
        headers = _merge_headers(spec.get("Headers"), entry.get("ReplacementHeaders"))
        results.append(
            _one(
                call,
                sender,
                entry["Destination"],
                content,
                data,
                name,
                tags,
                cset,
                headers,
                spec.get("Attachments"),
            )
        )
    return {"BulkEmailEntryResults": results}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("ses", "SendBulkTemplatedEmail"): send_bulk_templated_email,
    ("sesv2", "SendBulkEmail"): send_bulk_email,
}
