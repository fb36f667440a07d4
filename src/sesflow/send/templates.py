"""The account's SES email templates (SES v2): ``Templates`` pushes a folder of template files, lists, reads,
test-renders and deletes them. What ``sesflow templates`` runs.

``push`` makes SES hold what the files say: a template SES lacks is created, one whose content differs is
updated, an equal one is left alone; each comes back as ``created``, ``updated``, ``unchanged`` or
``failed`` (SES refused it: a Handlebars syntax error, for one), and ``dry_run`` asks without writing.
``render`` is SES's ``TestRenderEmailTemplate``: data lacking a variable the template prints raises
``TemplateRenderError`` naming it, which a send would not (SES accepts the send, then drops the message with
a Rendering Failure event).

Requests go through a boto3 ``sesv2`` client with botocore's standard retries: unlike a send, these calls
are safe to repeat (a create that was retried after a lost answer finds the template and compares it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from sesflow.errors import ConfigError, NotFoundError, SendError, TemplateRenderError
from sesflow.send.error_codes import from_exception
from sesflow.send.ses import resolve_region
from sesflow.send.template_files import TemplateFile, read_templates

if TYPE_CHECKING:
    import boto3

PushAction = Literal["created", "updated", "unchanged", "failed"]
_MISSING = re.compile(r"[Aa]ttribute '([^']+)' is not present")


@dataclass(frozen=True)
class PushResult:
    """What ``push`` did with one template (or, with ``dry_run``, would do); ``error`` when it failed."""

    name: str
    action: PushAction
    path: Path | None = None
    error: SendError | None = None


@dataclass(frozen=True)
class TemplateInfo:
    """One template SES holds: its name and when it was created."""

    name: str
    created: datetime | None


@dataclass(frozen=True)
class Rendered:
    """A template rendered by SES: subject, text and HTML (None where the template has no such part; each
    ends with a line break, as a MIME part does), and the whole MIME message as SES returned it
    (``mime``)."""

    subject: str
    text: str | None
    html: str | None
    mime: str


class Templates:
    """The SES v2 email templates of one account and region.

    Give it a boto3 ``sesv2`` ``client``, or let it build one from ``region``, ``endpoint_url`` and
    ``session`` as boto3 takes them (and close it with itself). SES's errors come back as
    ``sesflow.errors.SendError`` subclasses (``NotFoundError`` for a template SES does not hold, ``AuthError``
    for refused credentials, ...), with a message that names the template.

    >>> with Templates(region="eu-west-1") as templates:
    ...     for pushed in templates.push("templates/"):
    ...         print(pushed.name, pushed.action)
    """

    def __init__(
        self,
        client: Any = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
    ) -> None:
        self._owns_client = client is None
        if client is None:
            import boto3
            from botocore.config import Config

            session = session or boto3.session.Session()
            client = session.client(
                "sesv2",
                region_name=resolve_region(region, session, endpoint_url),
                endpoint_url=endpoint_url,
                config=Config(retries={"mode": "standard"}, user_agent_extra="sesflow"),
            )
        elif any(value is not None for value in (region, endpoint_url, session)):
            raise ConfigError("Pass either a client or region/endpoint_url/session, not both.")
        service = getattr(getattr(client.meta, "service_model", None), "service_name", None)
        if service != "sesv2":
            raise ConfigError(f"Templates needs a boto3 'sesv2' client, not {service!r}")
        self._client = client

    @property
    def region(self) -> str:
        """The region whose templates these are."""
        return str(self._client.meta.region_name)

    def push(
        self, templates: str | Path | Iterable[TemplateFile], *, dry_run: bool = False
    ) -> list[PushResult]:
        """Make SES hold ``templates`` (a folder of template files, see ``template_files``, or the files
        read): one result per template, in name order. With ``dry_run`` nothing is written."""
        if isinstance(templates, str | Path):
            templates = read_templates(templates)
        return [self._push_one(template, dry_run) for template in templates]

    def list(self) -> list[TemplateInfo]:
        """Every template SES holds in this region, in the order SES lists them."""
        return list(self._listed())

    def get(self, name: str) -> TemplateFile:
        """The template ``name`` as SES holds it; NotFoundError when it holds none of that name."""
        content = self._get(name)
        if content is None:
            raise self._not_found(name)
        return TemplateFile(name, content.get("Subject", ""), content.get("Html"), content.get("Text"))

    def render(self, name: str, data: Mapping[str, Any] | None = None) -> Rendered:
        """Template ``name`` rendered by SES with ``data`` (TestRenderEmailTemplate). Raises
        TemplateRenderError when the data does not fit it (``variable``: the one missing), NotFoundError
        when there is no such template."""
        try:
            answer = self._client.test_render_email_template(
                TemplateName=name, TemplateData=json.dumps(dict(data or {}), ensure_ascii=False)
            )
        except Exception as exc:
            error = self._error(exc, f"Rendering template {name}")
            if isinstance(error, NotFoundError):
                raise self._not_found(name) from None
            if error.code in ("BadRequestException", "InvalidRenderingParameterException"):
                raise _render_error(name, exc, error) from None
            raise error from None
        return _parsed(str(answer["RenderedTemplate"]))

    def delete(self, name: str) -> None:
        """Delete template ``name``; NotFoundError when SES holds none of that name."""
        try:
            self._client.delete_email_template(TemplateName=name)
        except Exception as exc:
            error = self._error(exc, f"Deleting template {name}")
            raise (self._not_found(name) if isinstance(error, NotFoundError) else error) from None

    def close(self) -> None:
        """Close the client this object built (one it was given stays open)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Templates:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the calls ----------------------------------------------------------------------------------------

    def _push_one(self, template: TemplateFile, dry_run: bool) -> PushResult:
        content = template.content()
        try:
            held = self._get(template.name)
            if held is not None and _same(held, content):
                return PushResult(template.name, "unchanged", template.path)
            if not dry_run:
                if held is None:
                    created = self._create(template)
                    if not created:  # it appeared meanwhile (or a retried create had made it)
                        return self._push_one(template, dry_run)
                else:
                    self._client.update_email_template(TemplateName=template.name, TemplateContent=content)
        except Exception as exc:
            return PushResult(
                template.name, "failed", template.path, self._error(exc, f"Template {template.name}")
            )
        return PushResult(template.name, "created" if held is None else "updated", template.path)

    def _create(self, template: TemplateFile) -> bool:
        params: dict[str, Any] = {"TemplateName": template.name, "TemplateContent": template.content()}
        if template.tags:
            params["Tags"] = [{"Key": key, "Value": value} for key, value in template.tags]
        try:
            self._client.create_email_template(**params)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "AlreadyExistsException":
                return False
            raise
        return True

    def _get(self, name: str) -> dict[str, str] | None:
        try:
            answer = self._client.get_email_template(TemplateName=name)
        except Exception as exc:
            error = self._error(exc, f"Reading template {name}")
            if isinstance(error, NotFoundError):
                return None
            raise error from None
        return dict(answer.get("TemplateContent") or {})

    def _listed(self) -> Iterator[TemplateInfo]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"PageSize": 100}
            if token:
                params["NextToken"] = token
            try:
                answer = self._client.list_email_templates(**params)
            except Exception as exc:
                raise self._error(exc, "Listing the templates") from None
            for item in answer.get("TemplatesMetadata", []):
                yield TemplateInfo(str(item["TemplateName"]), item.get("CreatedTimestamp"))
            token = answer.get("NextToken")
            if not token:
                return

    def _error(self, exc: Exception, what: str) -> SendError:
        found = from_exception(exc)
        if not isinstance(found, SendError):
            raise exc
        detail = found.message.removeprefix("SES refused the send: ")
        return type(found)(f"{what}: {detail}", code=found.code, status=found.status, hint=found.hint)

    def _not_found(self, name: str) -> NotFoundError:
        return NotFoundError(
            f"Template {name} does not exist in {self.region}.",
            code="NotFoundException",
            status=404,
            hint="sesflow templates list shows the templates there; sesflow templates push DIR creates them.",
        )


def _same(held: Mapping[str, str], content: Mapping[str, str]) -> bool:
    return {k: v for k, v in held.items() if v is not None} == dict(content)


def _render_error(name: str, exc: Exception, error: SendError) -> TemplateRenderError:
    text = str(getattr(exc, "response", {}).get("Error", {}).get("Message") or error.message)
    found = _MISSING.search(text)
    variable = found.group(1) if found else None
    return TemplateRenderError(
        f"Template {name} does not render with this data: {text}",
        variable=variable,
        code=error.code,
        status=error.status,
        hint=f"Add {variable!r} to the data." if variable else "Check the data against the template.",
    )


def _parsed(mime: str) -> Rendered:
    # SES writes CRLF line ends; the parts are given back with the platform-neutral "\n".
    message = message_from_string(mime.replace("\r\n", "\n"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    parts: dict[str, str | None] = {}
    for kind in ("plain", "html"):
        part = message.get_body((kind,))
        parts[kind] = None if part is None else str(part.get_content())
    return Rendered(str(message.get("Subject", "")), parts["plain"], parts["html"], mime)


__all__ = ["PushAction", "PushResult", "Rendered", "TemplateInfo", "Templates"]
