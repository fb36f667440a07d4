"""The single-message send operations: v2 SendEmail (Raw, Simple or Template content, list management,
tenants) and v1 SendEmail, SendRawEmail, SendTemplatedEmail and SendBounce. Each decodes its request
into an ``Outgoing`` and hands it to ``Sender.send``.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.addresses import bare_address
from sesflow.emulator.call import Call, Handler, invalid, not_found
from sesflow.emulator.composing import compose, simple_message
from sesflow.emulator.contacts import (
    UNSUBSCRIBE_PLACEHOLDER,
    check_list_management,
    unsubscribe_headers,
    unsubscribe_token,
    unsubscribed,
)
from sesflow.emulator.handlebars import RenderError, TemplateSyntaxError
from sesflow.emulator.region import Record
from sesflow.emulator.sending import Outgoing
from sesflow.emulator.tags import tag_pairs
from sesflow.emulator.templates import parse_data, render_content, template

TENANTS_TABLE = "tenants"
ENDPOINTS_TABLE = "multi_region_endpoints"


def addresses(destination: Record | None) -> tuple[list[str], list[str], list[str]]:
    """(to, cc, bcc) of a Destination, as bare addresses."""
    destination = destination or {}
    return tuple(  # type: ignore[return-value]
        [bare_address(a) for a in destination.get(k) or []]
        for k in ("ToAddresses", "CcAddresses", "BccAddresses")
    )


def header_forms(destination: Record | None) -> tuple[list[str], list[str]]:
    """(to, cc) of a Destination as given, display names kept: what SES writes in the To and Cc headers of
    a message it builds (Simple or Template content)."""
    destination = destination or {}
    return list(destination.get("ToAddresses") or []), list(destination.get("CcAddresses") or [])


def send(call: Call, out: Outgoing) -> str:
    """Hand a decoded send to the sender of the caller's account and region."""
    return call.state.sender.send(call.region, out, call.now)


def rendered_message(
    call: Call,
    content: Record,
    data: dict[str, Any],
    sender: str,
    to: list[str],
    cc: list[str],
    *,
    reply_to: list[str] | None = None,
    headers: list[dict[str, str]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    unsubscribe_url: str | None = None,
    name: str = "",
) -> tuple[bytes, dict[str, Any] | None]:
    """(raw message, rendering failure details or None) of a templated send."""
    try:
        rendered = render_content(content, data)
    except (RenderError, TemplateSyntaxError) as error:
        failure = {"RenderingFailure": {"TemplateName": name, "ErrorMessage": str(error)}}
        subject = " ".join(str(content.get("Subject") or "").split())  # unrendered: may hold anything
        try:
            raw = compose(sender, to, cc, subject, f"(rendering failed: {error})", None)
        except ValueError as problem:
            raise invalid(call, str(problem)) from None
        return raw, failure
    text, html = rendered.text, rendered.html
    if unsubscribe_url is not None:
        text = text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url) if text is not None else None
        html = html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url) if html is not None else None
    try:
        raw = compose(
            sender,
            to,
            cc,
            rendered.subject,
            text,
            html,
            reply_to=reply_to,
            headers=headers,
            attachments=attachments,
        )
    except ValueError as error:
        raise invalid(call, str(error)) from None
    return raw, None


def template_content(call: Call, spec: Record) -> tuple[Record, str]:
    """(content, name) of a v2 Template: a stored one by name or ARN, or inline TemplateContent."""
    if spec.get("TemplateContent"):
        return dict(spec["TemplateContent"]), "inline"
    name = spec.get("TemplateName") or str(spec.get("TemplateArn") or "").rpartition("/")[2]
    if not name:
        raise invalid(call, "Template needs TemplateName, TemplateArn or TemplateContent.")
    return template(call, name), name


def check_routing(call: Call) -> str | None:
    """The tenant a send names must exist (and be enabled); so must its multi-region endpoint."""
    tenant = call.params.get("TenantName")
    if tenant:
        record = call.region.get(TENANTS_TABLE, (tenant,))
        if record is None:
            raise not_found(call, f"Tenant {tenant} does not exist.")
        if record.get("SendingStatus") == "DISABLED":
            raise invalid(call, f"Sending is disabled for tenant {tenant}.")
    endpoint = call.params.get("EndpointId")
    if endpoint and not any(
        r.get("EndpointId") == endpoint for r in call.region.table(ENDPOINTS_TABLE).values()
    ):
        raise not_found(call, f"Multi-region endpoint {endpoint} does not exist.")
    return str(tenant) if tenant else None


def _with_headers(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode() for name, value in headers) + raw


def send_email_v2(call: Call) -> Record:
    """SendEmail (v2): Raw, Simple or Template content; ListManagementOptions; TenantName; EndpointId."""
    params = call.params
    content = params["Content"]
    sender = params.get("FromEmailAddress")
    to, cc, bcc = addresses(params.get("Destination"))
    tenant = check_routing(call)
    listing = params.get("ListManagementOptions")
    list_name, topic = check_list_management(call, listing) if listing else (None, None)
    token_url: str | None = None
    extra_headers: list[tuple[str, str]] = []
    if list_name is not None:
        # One raw message for every recipient: its link names the first one (sends to a list go one by one).
        first = (to + cc + bcc or [""])[0]
        token = unsubscribe_token(call.region, list_name, first, topic)
        extra_headers = unsubscribe_headers(f"http://{call.request.host}", token)
        token_url = extra_headers[0][1].strip("<>")
    failure = None
    kinds = [k for k in ("Raw", "Simple", "Template") if content.get(k) is not None]
    if len(kinds) != 1:
        raise invalid(call, "Content needs exactly one of Simple, Raw or Template.")
    if kinds[0] == "Raw":
        raw = content["Raw"]["Data"]
        if token_url is not None:
            raw = raw.replace(UNSUBSCRIBE_PLACEHOLDER.encode(), token_url.encode())
    else:
        if not sender:
            raise invalid(call, "FromEmailAddress is required for Simple and Template content.")
        reply_to = params.get("ReplyToAddresses")
        if kinds[0] == "Simple":
            simple = dict(content["Simple"])
            if token_url is not None:
                simple = _with_link(simple, token_url)
            raw = _simple(call, sender, *header_forms(params.get("Destination")), simple, reply_to)
        else:
            spec = content["Template"]
            body, name = template_content(call, spec)
            shown_to, shown_cc = header_forms(params.get("Destination"))
            raw, failure = rendered_message(
                call, body, parse_data(call, spec.get("TemplateData")), sender, shown_to, shown_cc,
                reply_to=reply_to, headers=spec.get("Headers"), attachments=spec.get("Attachments"),
                unsubscribe_url=token_url, name=name,
            )  # fmt: skip
    if extra_headers:
        raw = _with_headers(raw, extra_headers)
    out = Outgoing(
        "SendEmail",
        "v2",
        bare_address(sender) if sender else None,
        (to + cc + bcc) or None,
        raw,
        tag_pairs(params.get("EmailTags")),
        params.get("ConfigurationSetName"),
        rendering_failure=failure,
        tenant=tenant,
    )
    if list_name is not None:
        out.unsubscribed = unsubscribed(call.region, list_name, topic, to + cc + bcc)
    return {"MessageId": send(call, out)}


def _simple(
    call: Call, sender: str, to: list[str], cc: list[str], simple: Record, reply_to: list[str] | None
) -> bytes:
    try:
        return simple_message(sender, to, cc, simple, reply_to)
    except ValueError as error:
        raise invalid(call, str(error)) from None


def _with_link(simple: Record, url: str) -> Record:
    body = dict(simple.get("Body") or {})
    for part in ("Text", "Html"):
        if body.get(part):
            body[part] = {**body[part], "Data": str(body[part]["Data"]).replace(UNSUBSCRIBE_PLACEHOLDER, url)}
    return {**simple, "Body": body}


def send_raw_email(call: Call) -> Record:
    """SendRawEmail (v1)."""
    params = call.params
    source = params.get("Source")
    destinations = [bare_address(a) for a in params.get("Destinations") or []]
    out = Outgoing(
        "SendRawEmail",
        "v1",
        bare_address(source) if source else None,
        destinations or None,
        params["RawMessage"]["Data"],
        tag_pairs(params.get("Tags")),
        params.get("ConfigurationSetName"),
    )
    return {"MessageId": send(call, out)}


def send_email_v1(call: Call) -> Record:
    """SendEmail (v1): subject and text and/or HTML body."""
    params = call.params
    source = params["Source"]
    body = params["Message"].get("Body") or {}
    if body.get("Text") is None and body.get("Html") is None:
        raise invalid(call, "Message body must have Text or Html.")
    to, cc, bcc = addresses(params["Destination"])
    shown_to, shown_cc = header_forms(params["Destination"])
    raw = _simple(call, source, shown_to, shown_cc, params["Message"], params.get("ReplyToAddresses"))
    out = Outgoing(
        "SendEmail", "v1", bare_address(source), (to + cc + bcc) or None, raw, tag_pairs(params.get("Tags")),
        params.get("ConfigurationSetName"),
    )  # fmt: skip
    return {"MessageId": send(call, out)}


def send_templated_email(call: Call) -> Record:
    """SendTemplatedEmail (v1): accepted even when rendering fails (RENDERING_FAILURE event, no delivery)."""
    params = call.params
    source = params["Source"]
    name = params.get("Template") or str(params.get("TemplateArn") or "").rpartition("/")[2]
    content = template(call, name)
    to, cc, bcc = addresses(params["Destination"])
    shown_to, shown_cc = header_forms(params["Destination"])
    raw, failure = rendered_message(
        call, content, parse_data(call, params["TemplateData"]), source, shown_to, shown_cc,
        reply_to=params.get("ReplyToAddresses"), name=name,
    )  # fmt: skip
    out = Outgoing(
        "SendTemplatedEmail", "v1", bare_address(source), (to + cc + bcc) or None, raw,
        tag_pairs(params.get("Tags")), params.get("ConfigurationSetName"), rendering_failure=failure,
    )  # fmt: skip
    return {"MessageId": send(call, out)}


def send_bounce(call: Call) -> Record:
    """SendBounce (v1): a bounce message (DSN) for a message the account received or sent."""
    params = call.params
    original = call.state.store.stored(params["OriginalMessageId"])
    if original is None:
        raise invalid(call, f"Message {params['OriginalMessageId']} does not exist.")
    lines = [params.get("Explanation") or "The message could not be delivered."]
    for info in params["BouncedRecipientInfoList"]:
        lines.append(f"{info['Recipient']}: {info.get('BounceType', 'Undefined')}")
    try:
        raw = compose(
            params["BounceSender"],
            [original.from_address],
            [],
            "Delivery Status Notification (Failure)",
            "\n".join(lines),
            None,
            headers=[{"Name": "Auto-Submitted", "Value": "auto-replied"}],
        )
    except ValueError as error:
        raise invalid(call, str(error)) from None
    out = Outgoing("SendBounce", "v1", bare_address(params["BounceSender"]), [original.from_address], raw, [])
    return {"MessageId": send(call, out)}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "SendEmail"): send_email_v2,
    ("ses", "SendEmail"): send_email_v1,
    ("ses", "SendRawEmail"): send_raw_email,
    ("ses", "SendTemplatedEmail"): send_templated_email,
    ("ses", "SendBounce"): send_bounce,
}
