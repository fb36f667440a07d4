"""Rendering a campaign's templates for one recipient, in Jinja2's sandbox, and building its ``Message``.

Templates are compiled once (a syntax error is a ``ConfigError`` naming the template and its line) and
rendered with ``StrictUndefined``: a variable a row does not have is a problem of that row, naming the column,
never an empty string in someone's inbox. The sandbox keeps a template from reaching Python internals (a
recipients file is data, and may come from anyone). ``html`` is autoescaped; subject, text and the
unsubscribe URL are not.

A template's variables are the row's columns, plus ``recipient`` (the whole row, for column names that are
not identifiers: ``recipient["first name"]``), ``campaign`` (its name) and ``unsubscribe_url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from sesflow.campaign.content import CampaignContent, TemplateText
from sesflow.errors import ConfigError, MessageError
from sesflow.mime import Attachment, Message
from sesflow.mime.addresses import parse_one

BUILT_IN_NAMES = frozenset({"recipient", "campaign", "unsubscribe_url"})
_UNDEFINED = re.compile(r"^'([^']+)' is undefined$")
_HAS_NO = re.compile(r"has no attribute '([^']+)'$")


class RowProblem(Exception):
    """A row cannot be rendered: ``column`` names the column (or template) at fault."""

    def __init__(self, message: str, column: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Rendered:
    """One recipient's rendered parts."""

    email: str
    name: str
    subject: str
    text: str | None
    html: str | None
    unsubscribe_url: str | None


def _environment(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True, auto_reload=False
    )


class Renderer:
    """Compiled templates of one campaign; ``render(values)`` gives a ``Rendered`` or raises ``RowProblem``.

    ``columns`` (when the source knows them up front) lets every variable a template uses be checked
    against the columns once, before any row: a missing column is then one ConfigError, not a problem in
    every row.
    """

    def __init__(
        self, content: CampaignContent, columns: tuple[str, ...] | None = None, source: str = "recipients"
    ) -> None:
        self._content = content
        self._plain = _environment(False)
        self._html = _environment(True)
        self._subject = self._compile(content.subject, self._plain)
        self._text = None if content.text is None else self._compile(content.text, self._plain)
        self._html_template = None if content.html is None else self._compile(content.html, self._html)
        self._unsubscribe = (
            None if content.unsubscribe_url is None else self._compile(content.unsubscribe_url, self._plain)
        )
        if columns is not None:
            self._check_columns(columns, source)

    def _compile(self, template: TemplateText, env: SandboxedEnvironment) -> Any:
        try:
            return env.from_string(template.source)
        except TemplateSyntaxError as exc:
            raise ConfigError(
                f"{template.origin} line {exc.lineno}: template syntax error: {exc.message}",
                hint="Fix the template; see https://jinja.palletsprojects.com/templates/ for the syntax.",
            ) from None

    def _check_columns(self, columns: tuple[str, ...], source: str) -> None:
        content = self._content
        if content.email_column not in columns:
            raise ConfigError(
                f"{source} has no column {content.email_column!r} (columns: {', '.join(columns)})",
                hint="Add it, or name the address column with recipients.email_column.",
            )
        if content.name_column and content.name_column not in columns:
            raise ConfigError(
                f"{source} has no column {content.name_column!r} named by recipients.name_column "
                f"(columns: {', '.join(columns)})"
            )
        known = set(columns) | BUILT_IN_NAMES | set(self._plain.globals)
        templates = [content.subject, content.text, content.html, content.unsubscribe_url]
        for template in templates:
            if template is None:
                continue
            used = meta.find_undeclared_variables(self._plain.parse(template.source))
            missing = sorted(used - known)
            if missing:
                raise ConfigError(
                    f"{template.origin} uses {{{{ {missing[0]} }}}} but {source} has no column "
                    f"{missing[0]!r} (columns: {', '.join(columns)})",
                    hint="Fix the variable name in the template, or add the column.",
                )

    def render(self, values: Mapping[str, Any]) -> Rendered:
        """Render every template for one row; ``RowProblem`` names what is wrong."""
        content = self._content
        email = _address(values, content.email_column)
        name = ""
        if content.name_column:
            raw_name = values.get(content.name_column)
            name = "" if raw_name is None else str(raw_name).strip()
        try:
            parse_one("to", name, email, email)
        except MessageError as exc:
            raise RowProblem(exc.message.removeprefix("to: "), content.email_column) from None
        # One dict holds the globals and the row: each template renders on it directly (shared=True), which
        # spares Jinja a ChainMap of globals and variables per template (a third of the render time).
        context: dict[str, Any] = {
            **self._plain.globals,
            "recipient": dict(values),
            "campaign": content.name,
            **values,
        }
        url = None
        if self._unsubscribe is not None:
            url = self._run(self._unsubscribe, context, "unsubscribe.url").strip()
            if content.one_click and not url.lower().startswith("https://"):
                raise RowProblem(f"the unsubscribe URL {url!r} is not https (one-click needs https)", None)
        context["unsubscribe_url"] = url
        subject = self._run(self._subject, context, "subject")
        if "\n" in subject.strip() or "\r" in subject:
            raise RowProblem("the subject renders with a line break", "subject")
        return Rendered(
            email=email,
            name=name,
            subject=subject.strip(),
            text=None if self._text is None else self._run(self._text, context, "text"),
            html=None if self._html_template is None else self._run(self._html_template, context, "html"),
            unsubscribe_url=url,
        )

    @staticmethod
    def _run(template: Any, context: Mapping[str, Any], where: str) -> str:
        try:
            return str(
                template.environment.concat(template.root_render_func(template.new_context(context, True)))
            )
        except UndefinedError as exc:
            text = str(exc.message or exc)
            match = _UNDEFINED.match(text)
            if match:
                return _raise(
                    f"{where} uses {{{{ {match.group(1)} }}}}, which this row lacks", match.group(1)
                )
            found = _HAS_NO.search(text)
            column = found.group(1) if found else None
            return _raise(f"{where}: undefined value: {text}", column)
        except SecurityError as exc:
            return _raise(f"{where}: refused by the template sandbox: {exc}", None)
        except TemplateError as exc:
            return _raise(f"{where}: {exc}", None)
        except Exception as exc:  # a filter or test failing on this row's data (e.g. int('abc'))
            return _raise(f"{where}: {type(exc).__name__}: {exc}", None)


def _raise(message: str, column: str | None) -> str:
    raise RowProblem(message, column)


def _address(values: Mapping[str, Any], column: str) -> str:
    if column not in values:
        raise RowProblem(f"no column {column!r}", column)
    value = values[column]
    if value is None or not str(value).strip():
        raise RowProblem("no address", column)
    return str(value).strip()


def ledger_id(campaign_id: str, seq: int) -> str:
    """The ledger id of one row: the EmailTag ``sesflow_id`` and the left part of its Message-ID."""
    return f"{campaign_id}-{seq}"


def parse_ledger_id(value: str) -> tuple[str, int] | None:
    """``(campaign_id, seq)`` of a ledger id, or None when ``value`` is not one."""
    campaign_id, dash, seq = value.rpartition("-")
    if not dash or not campaign_id or not seq.isdigit():
        return None
    return campaign_id, int(seq)


class MessageFactory:
    """Builds each recipient's ``Message``: rendered parts, shared attachments (read once, encoded once by
    compose's cache), one-click List-Unsubscribe, the ``campaign`` and ``sesflow_id`` EmailTags and a
    Message-ID derived from the ledger id."""

    def __init__(self, content: CampaignContent, campaign_id: str) -> None:
        self._content = content
        self._campaign_id = campaign_id
        self._attachments = tuple(
            Attachment(filename=part.filename, content=part.read(), content_type=part.content_type)
            for part in content.attachments
        ) + tuple(
            Attachment(
                filename=part.filename, content=part.read(), content_type=part.content_type, cid=part.cid
            )
            for part in content.inline_images
        )
        domain = _domain(content.from_)
        self._id_domain = domain or "sesflow.invalid"
        self._tags = [{"Name": "campaign", "Value": content.name}] + [
            {"Name": key, "Value": value} for key, value in content.tags
        ]

    def build(self, seq: int, rendered: Rendered) -> Message:
        """The message for row ``seq``."""
        content = self._content
        lid = ledger_id(self._campaign_id, seq)
        ses: dict[str, Any] = {"EmailTags": [*self._tags, {"Name": "sesflow_id", "Value": lid}]}
        if content.configuration_set:
            ses["ConfigurationSetName"] = content.configuration_set
        unsubscribe: list[str] = []
        if rendered.unsubscribe_url:
            unsubscribe.append(rendered.unsubscribe_url)
        if content.unsubscribe_mailto:
            unsubscribe.append(content.unsubscribe_mailto)
        return Message(
            from_=content.from_,
            to=(rendered.name, rendered.email) if rendered.name else rendered.email,
            reply_to=content.reply_to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            attachments=self._attachments,
            list={
                "unsubscribe": unsubscribe,
                "one_click": content.one_click and bool(rendered.unsubscribe_url),
            }
            if unsubscribe
            else None,
            headers=dict(content.headers) or None,
            message_id=f"<{lid}@{self._id_domain}>",
            disable_file_access=True,
            disable_url_access=True,
            ses=ses,
        )


def _domain(address: str) -> str:
    text = address.strip()
    if "<" in text:
        text = text.partition("<")[2].partition(">")[0]
    return text.rpartition("@")[2].strip()


__all__ = ["MessageFactory", "Rendered", "Renderer", "RowProblem", "ledger_id", "parse_ledger_id"]
