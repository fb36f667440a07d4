"""Messages SES renders from a template: the values a user writes (``TemplatedMessage``, ``BulkDestination``,
``TemplateContent``) and the SES v2 request parameters they become, with no I/O.

A ``TemplatedMessage`` is one v2 ``SendEmail`` call with ``Content.Template``: a stored template by name (or
ARN), or the template's parts given inline, and the data its variables take. ``BulkDestination`` is one entry
of a v2 ``SendBulkEmail`` call. Everything SES would refuse for its shape is refused here first, as a
``MessageError`` naming the field, before the rate limiter spends a slot on it: addresses, no recipient or
more than 50, data that is not JSON or over SES's 262,144 characters, more than 15 headers, an unknown SES
option or one that clashes with a field (``tags`` and ``ses={"EmailTags": ...}``), and whatever else
botocore's parameter validation for the ``sesv2`` model refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from functools import cache
from typing import Any

from sesflow.errors import MessageError
from sesflow.mime import Address, Envelope, Group
from sesflow.mime.addresses import format_tokens, parse_addresses
from sesflow.mime.model import Addresses, AddressInput
from sesflow.send.checks import check_recipients
from sesflow.send.params import option_params

MAX_DESTINATIONS = 50
"""SES takes at most 50 destinations per SendBulkEmail call."""

MAX_DATA_CHARS = 262_144
"""SES's limit on one TemplateData (or ReplacementTemplateData) JSON text, in characters."""

MAX_HEADERS = 15
"""SES adds at most 15 headers of a template send."""

# Options a TemplatedMessage writes from its own fields; ``ses`` may not set them as well.
_FIELD_OPTIONS = {"EmailTags": "tags", "ConfigurationSetName": "configuration_set"}


@dataclass(frozen=True)
class TemplateContent:
    """A template given in the send itself instead of a stored one: ``subject`` and ``html`` and/or
    ``text``, with ``{{variables}}``. SES renders inline content with simple substitutions only (no
    ``{{#if}}``/``{{#each}}``): store the template (``sesflow templates push``) for those."""

    subject: str
    html: str | None = None
    text: str | None = None

    def to_ses(self) -> dict[str, str]:
        """The ``TemplateContent`` structure of the request (``Subject``, ``Html``, ``Text``)."""
        if self.html is None and self.text is None:
            raise MessageError(
                "TemplateContent needs html or text (or both).", hint="Give html=... and/or text=..."
            )
        parts = {"Subject": self.subject, "Html": self.html, "Text": self.text}
        return {key: value for key, value in parts.items() if value is not None}


@dataclass(frozen=True, kw_only=True)
class TemplatedMessage:
    """One message that SES renders from a template: v2 ``SendEmail`` with ``Content.Template``.

    ``template`` is a stored template's name (or ARN, ``arn:aws:ses:...:template/NAME``), or a
    ``TemplateContent`` sent along. ``data`` fills its variables (any JSON-able mapping). ``to``/``cc``/
    ``bcc``/``reply_to`` take addresses as ``Message`` does; every recipient counts against the rate.
    ``headers`` are added to the rendered message (at most 15), ``tags`` become ``EmailTags`` (name ->
    value), ``configuration_set`` the ``ConfigurationSetName``; ``ses`` holds the other per-message SES
    options (``ListManagementOptions``, ``FeedbackForwardingEmailAddress``, ``TenantName``, ...).

    Data lacking a variable the template uses is not refused by SES at the send: it accepts the message and
    then drops it with a Rendering Failure event. Try the data first with ``Templates.render`` (``sesflow
    templates render NAME --data ...``).
    """

    from_: AddressInput
    template: str | TemplateContent
    to: Addresses = None
    cc: Addresses = None
    bcc: Addresses = None
    reply_to: Addresses = None
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    tags: Mapping[str, str] | None = None
    configuration_set: str | None = None
    ses: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BulkDestination:
    """One destination of a bulk send: its recipients, and what replaces the call's defaults for it.

    ``data`` is merged over the call's ``default_data`` by SES (a key given here wins), ``tags`` over its
    ``default_tags`` and ``headers`` over its ``default_headers`` (by name). Each destination is one message
    with its own result; its recipients (to + cc + bcc, at most 50) count against the rate.
    """

    to: Addresses = None
    _: KW_ONLY
    cc: Addresses = None
    bcc: Addresses = None
    data: Mapping[str, Any] | None = None
    tags: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class TemplatedRequest:
    """A checked v2 SendEmail call: its parameters, and the envelope (every recipient, bare) it goes to."""

    params: dict[str, Any]
    envelope: Envelope


# -- building blocks ----------------------------------------------------------------------------------------


def mailboxes(field: str, value: Addresses) -> list[tuple[str, str]]:
    """(bare, header form) of every mailbox of ``value``, checked as ``Message`` checks its addresses (errors
    name ``field``); a group gives its members, since SES takes mailboxes only."""
    boxes: list[Address] = []
    for item in parse_addresses(field, value):
        if isinstance(item, Group):
            boxes.extend(member for member in item.members if isinstance(member, Address))
        else:
            boxes.append(item)
    return [(box.address, " ".join(format_tokens([box]))) for box in boxes]


def sender(field: str, value: AddressInput) -> tuple[str, str]:
    """(bare, header form) of the one sender address ``value``; MessageError naming ``field`` else."""
    found = mailboxes(field, value)
    if len(found) != 1:
        raise MessageError(
            f"{field}: exactly one sender address is needed, got {len(found)}",
            hint='Write from_="Shop <shop@example.com>".',
        )
    return found[0]


def destination(
    to: Addresses, cc: Addresses, bcc: Addresses, where: str = ""
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The ``Destination`` structure and every recipient (bare), each once: a later repeat is dropped, as
    the envelope of a composed message drops it. ``where`` prefixes the field names in errors."""
    seen: set[str] = set()
    recipients: list[str] = []
    structure: dict[str, Any] = {}
    fields = (("ToAddresses", "to", to), ("CcAddresses", "cc", cc), ("BccAddresses", "bcc", bcc))
    for key, field, value in fields:
        written = []
        for bare, shown in mailboxes(f"{where}{field}", value):
            if bare.lower() not in seen:
                seen.add(bare.lower())
                recipients.append(bare)
                written.append(shown)
        if written:
            structure[key] = written
    check_recipients(recipients)
    return structure, tuple(recipients)


def data_json(field: str, data: Mapping[str, Any] | None) -> str:
    """``data`` as the JSON text SES takes; MessageError naming ``field`` when it is no JSON object."""
    if data is None:
        return "{}"
    if not isinstance(data, Mapping):
        raise MessageError(
            f"{field} must be a mapping of variable names to values, not {type(data).__name__}"
        )
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MessageError(
            f"{field} is not JSON-able: {exc}",
            hint="Pass strings, numbers, booleans, None, lists and mappings (a date: date.isoformat()).",
        ) from None
    if len(text) > MAX_DATA_CHARS:
        raise MessageError(
            f"{field} is {len(text):,} characters as JSON; SES takes at most {MAX_DATA_CHARS:,}.",
            hint="Send less data per message.",
        )
    return text


def name_values(
    field: str, mapping: Mapping[str, str] | None, limit: int | None = None
) -> list[dict[str, str]]:
    """``{"name": "value"}`` as SES's ``[{"Name": ..., "Value": ...}]`` (tags, headers)."""
    if not mapping:
        return []
    if not isinstance(mapping, Mapping):
        raise MessageError(f"{field} must be a mapping of names to values, not {type(mapping).__name__}")
    pairs = []
    for name, value in mapping.items():
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            raise MessageError(f"{field}: {name!r}: {value!r} is not a pair of a name and a text value")
        if "\r" in name + value or "\n" in name + value:
            raise MessageError(f"{field}: {name!r} holds a line break (CR or LF), which SES would refuse")
        pairs.append({"Name": name, "Value": value})
    if limit is not None and len(pairs) > limit:
        raise MessageError(
            f"{field}: {len(pairs)} given; SES adds at most {limit} headers to a template send."
        )
    return pairs


def template_spec(template: str | TemplateContent) -> dict[str, Any]:
    """The ``Template`` structure's reference to the template: its name, ARN or inline content."""
    if isinstance(template, TemplateContent):
        return {"TemplateContent": template.to_ses()}
    if not isinstance(template, str) or not template.strip():
        raise MessageError(
            f"template must be a stored template's name (or ARN) or a TemplateContent, not {template!r}",
            hint='For example template="welcome", or template=TemplateContent(subject=..., html=...).',
        )
    if template.startswith("arn:"):
        return {"TemplateArn": template}
    return {"TemplateName": template}


def options(ses: Mapping[str, Any] | None, fields: Mapping[str, object]) -> dict[str, Any]:
    """The ``ses`` options as v2 parameters; MessageError for an unknown one or one a field also sets."""
    found = option_params(ses or {}, "v2")
    for key, field in _FIELD_OPTIONS.items():
        if key in found and fields.get(field):
            raise MessageError(
                f"{key} is given twice: as {field}= and in ses=.",
                hint=f"Keep {field}= and drop ses['{key}'].",
            )
    return found


# -- whole requests ----------------------------------------------------------------------------------------


def templated_request(message: TemplatedMessage, ses: Mapping[str, Any] | None = None) -> TemplatedRequest:
    """The checked SendEmail parameters of ``message``, with ``ses`` updating its ``ses`` options."""
    if not isinstance(message, TemplatedMessage):
        raise MessageError(f"not a TemplatedMessage: {type(message).__name__}")
    bare_from, shown_from = sender("from_", message.from_)
    dest, recipients = destination(message.to, message.cc, message.bcc)
    spec = template_spec(message.template)
    spec["TemplateData"] = data_json("data", message.data)
    headers = name_values("headers", message.headers, MAX_HEADERS)
    if headers:
        spec["Headers"] = headers
    params: dict[str, Any] = {
        "FromEmailAddress": shown_from,
        "Destination": dest,
        "Content": {"Template": spec},
    }
    reply_to = [shown for _, shown in mailboxes("reply_to", message.reply_to)]
    if reply_to:
        params["ReplyToAddresses"] = reply_to
    tags = name_values("tags", message.tags)
    if tags:
        params["EmailTags"] = tags
    if message.configuration_set:
        params["ConfigurationSetName"] = message.configuration_set
    merged = dict(message.ses or {})
    merged.update(ses or {})
    params.update(options(merged, {"tags": tags, "configuration_set": message.configuration_set}))
    validate("SendEmail", params)
    return TemplatedRequest(params, Envelope(from_=bare_from, to=recipients))


@cache
def _operation_shapes() -> dict[str, Any]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sesv2")
    return {name: model.operation_model(name).input_shape for name in ("SendEmail", "SendBulkEmail")}


def validate(operation: str, params: Mapping[str, Any]) -> None:
    """botocore's parameter validation of ``params`` for the sesv2 ``operation``, as a MessageError."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    try:
        validate_parameters(params, _operation_shapes()[operation])
    except ParamValidationError as exc:
        raise MessageError(f"The SES {operation} request is not valid: {exc}") from None


__all__ = [
    "MAX_DATA_CHARS",
    "MAX_DESTINATIONS",
    "MAX_HEADERS",
    "BulkDestination",
    "TemplateContent",
    "TemplatedMessage",
    "TemplatedRequest",
    "data_json",
    "destination",
    "mailboxes",
    "name_values",
    "options",
    "sender",
    "template_spec",
    "templated_request",
    "validate",
]
