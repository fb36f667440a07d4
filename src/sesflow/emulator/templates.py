"""Stored email templates, v1 (``CreateTemplate``: SubjectPart/TextPart/HtmlPart) and v2
(``CreateEmailTemplate``: TemplateContent Subject/Text/Html) over one table, rendered with the Handlebars
subset SES supports (``handlebars``): ``TestRenderTemplate``/``TestRenderEmailTemplate`` and every templated
send.

A template that does not parse is refused at creation (v1 ``InvalidTemplate``, v2 ``BadRequestException``);
data lacking an attribute the template prints fails rendering (v1 ``MissingRenderingAttribute`` on a test
render; a send is accepted and then gets a RENDERING_FAILURE event and no delivery, as SES documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from sesflow.emulator.call import Call, Handler, invalid, model_error, not_found, paged
from sesflow.emulator.composing import rendered_preview
from sesflow.emulator.handlebars import RenderError, TemplateSyntaxError, check_syntax, render
from sesflow.emulator.region import Record
from sesflow.emulator.tables import Table, delete_op

TEMPLATES = Table(
    "templates",
    ("TemplateName",),
    "Template",
    arn="template/{TemplateName}",
    quota=10_000,
    v1_missing="TemplateDoesNotExistException",
)
MAX_TEMPLATE_BYTES = 500 * 1024
_PARTS = (("SubjectPart", "Subject"), ("TextPart", "Text"), ("HtmlPart", "Html"))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered template: subject, text and HTML (None where the template has no such part)."""

    subject: str
    text: str | None
    html: str | None


def _syntax_error(call: Call, message: str) -> Exception:
    if call.v1:
        return model_error("ses", "InvalidTemplateException", message)
    return invalid(call, message)


def check_content(call: Call, name: str, content: Record) -> None:
    """A template's parts parse as Handlebars and stay within SES's 500 KB."""
    size = sum(len(str(content.get(part) or "").encode()) for part in ("Subject", "Text", "Html"))
    if size > MAX_TEMPLATE_BYTES:
        raise _syntax_error(call, f"Template {name} is larger than {MAX_TEMPLATE_BYTES} bytes.")
    if not content.get("Text") and not content.get("Html"):
        raise _syntax_error(call, f"Template {name} needs a Text or Html part.")
    for part in ("Subject", "Text", "Html"):
        try:
            check_syntax(str(content.get(part) or ""))
        except TemplateSyntaxError as error:
            raise _syntax_error(call, f"Template {name}: {part} does not parse: {error}.") from None


def template(call: Call, name: str) -> Record:
    """A stored template's content (``{Subject, Text, Html}``) or the API's not-found error."""
    record = TEMPLATES.find(call, (name,))
    if record is None:
        raise not_found(call, f"Template {name} does not exist.", "TemplateDoesNotExistException")
    return dict(record["TemplateContent"])


def parse_data(call: Call, text: str | None, what: str = "TemplateData") -> dict[str, Any]:
    """Template data: a JSON object."""
    if not text:
        return {}
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        if call.operation == "TestRenderTemplate":
            raise model_error(
                "ses", "InvalidRenderingParameterException", f"{what} is not valid JSON."
            ) from None
        raise invalid(call, f"{what} is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid(call, f"{what} must be a JSON object.")
    return data


def render_content(content: Record, data: dict[str, Any]) -> Rendered:
    """Render a template's parts; ``RenderError``/``TemplateSyntaxError`` when SES would fail."""
    text, html = content.get("Text"), content.get("Html")
    return Rendered(
        render(str(content.get("Subject") or ""), data),
        None if text is None else render(str(text), data),
        None if html is None else render(str(html), data),
    )


def test_render(call: Call) -> Record:
    """TestRenderTemplate / TestRenderEmailTemplate: the rendered message as MIME text."""
    name = call.params["TemplateName"]
    content = template(call, name)
    data = parse_data(call, call.params["TemplateData"])
    try:
        rendered = render_content(content, data)
    except (RenderError, TemplateSyntaxError) as error:
        if call.v1:
            raise model_error("ses", "MissingRenderingAttributeException", str(error)) from None
        raise invalid(call, str(error)) from None
    try:
        return {"RenderedTemplate": rendered_preview(rendered.subject, rendered.text, rendered.html)}
    except ValueError as error:
        raise invalid(call, f"The rendered template is no valid message: {error}.") from None


# --- v2 ------------------------------------------------------------------------------------------------


def create_email_template(call: Call) -> Record:
    """CreateEmailTemplate."""
    name, content = call.params["TemplateName"], call.params["TemplateContent"]
    check_content(call, name, content)
    TEMPLATES.insert(
        call, (name,), {"TemplateName": name, "TemplateContent": content}, call.params.get("Tags")
    )
    return {}


def update_email_template(call: Call) -> Record:
    """UpdateEmailTemplate."""
    name, content = call.params["TemplateName"], call.params["TemplateContent"]
    record = TEMPLATES.require(call, (name,))
    check_content(call, name, content)
    TEMPLATES.replace(call, (name,), {**record, "TemplateContent": content})
    return {}


def get_email_template(call: Call) -> Record:
    """GetEmailTemplate."""
    name = call.params["TemplateName"]
    record = TEMPLATES.require(call, (name,))
    return {
        "TemplateName": name,
        "TemplateContent": record["TemplateContent"],
        "Tags": call.region.tags(TEMPLATES.arn_of(call, (name,))),
    }


def list_email_templates(call: Call) -> Record:
    """ListEmailTemplates."""
    items = [
        {"TemplateName": k[0], "CreatedTimestamp": r["CreatedTimestamp"]} for k, r in TEMPLATES.records(call)
    ]
    return paged(call, "TemplatesMetadata", items, 10)


# --- v1 ------------------------------------------------------------------------------------------------


def _from_v1(template_v1: Record) -> Record:
    return {v2: template_v1[v1] for v1, v2 in _PARTS if template_v1.get(v1) is not None}


def create_template(call: Call) -> Record:
    """CreateTemplate (v1)."""
    body = call.params["Template"]
    name, content = body["TemplateName"], _from_v1(body)
    check_content(call, name, content)
    TEMPLATES.insert(call, (name,), {"TemplateName": name, "TemplateContent": content})
    return {}


def update_template(call: Call) -> Record:
    """UpdateTemplate (v1)."""
    body = call.params["Template"]
    name, content = body["TemplateName"], _from_v1(body)
    record = TEMPLATES.require(call, (name,))
    check_content(call, name, content)
    TEMPLATES.replace(call, (name,), {**record, "TemplateContent": content})
    return {}


def get_template(call: Call) -> Record:
    """GetTemplate (v1)."""
    name = call.params["TemplateName"]
    content = template(call, name)
    shown: Record = {"TemplateName": name}
    shown.update({v1: content[v2] for v1, v2 in _PARTS if content.get(v2) is not None})
    return {"Template": shown}


def list_templates(call: Call) -> Record:
    """ListTemplates (v1)."""
    items = [{"Name": k[0], "CreatedTimestamp": r["CreatedTimestamp"]} for k, r in TEMPLATES.records(call)]
    return paged(call, "TemplatesMetadata", items, 10)


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateEmailTemplate"): create_email_template,
    ("sesv2", "UpdateEmailTemplate"): update_email_template,
    ("sesv2", "GetEmailTemplate"): get_email_template,
    ("sesv2", "ListEmailTemplates"): list_email_templates,
    ("sesv2", "DeleteEmailTemplate"): delete_op(TEMPLATES),
    ("sesv2", "TestRenderEmailTemplate"): test_render,
    ("ses", "CreateTemplate"): create_template,
    ("ses", "UpdateTemplate"): update_template,
    ("ses", "GetTemplate"): get_template,
    ("ses", "ListTemplates"): list_templates,
    ("ses", "DeleteTemplate"): delete_op(TEMPLATES, missing_ok=True),
    ("ses", "TestRenderTemplate"): test_render,
}
