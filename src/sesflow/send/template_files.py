"""A folder of SES email templates as files: what ``sesflow templates push DIR`` reads.

One file per template, named after it: ``DIR/NAME.yaml`` (or ``.yml``) or ``DIR/NAME.json``, holding

- ``subject`` (required) and ``html`` and/or ``text``, with Handlebars ``{{variables}}`` as SES renders them;
  ``html_file`` / ``text_file`` instead name a file beside it (``welcome.html``), for bodies best edited as
  files of their own. Or
- the JSON the AWS CLI takes: ``aws sesv2 create-email-template --cli-input-json`` (``TemplateName``,
  ``TemplateContent`` with ``Subject``/``Html``/``Text``, optional ``Tags``) or ``aws ses create-template``
  (``Template`` with ``TemplateName``, ``SubjectPart``, ``HtmlPart``, ``TextPart``). Their ``TemplateName``
  names the template, whatever the file is called.

Other files (the ``.html`` bodies, a README) and subfolders are not templates. Every problem is a ConfigError
naming the file and the key: a name SES would refuse, a missing subject, no body, an unknown key, two files
for one template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sesflow.errors import ConfigError
from sesflow.yamltext import load_yaml

SUFFIXES = (".yaml", ".yml", ".json")
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What SES takes as a template name: up to 64 ASCII letters, digits, underscores and dashes."""

_KEYS = ("subject", "html", "text", "html_file", "text_file")
_V1_PARTS = (("SubjectPart", "Subject"), ("HtmlPart", "Html"), ("TextPart", "Text"))


@dataclass(frozen=True)
class TemplateFile:
    """One template read from a file: its name, parts (None where it has none), ``tags`` to create it with,
    and the file it came from."""

    name: str
    subject: str
    html: str | None = None
    text: str | None = None
    path: Path | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())

    def content(self) -> dict[str, str]:
        """The SES ``TemplateContent``: ``Subject`` and the ``Html``/``Text`` parts it has."""
        parts = {"Subject": self.subject, "Html": self.html, "Text": self.text}
        return {key: value for key, value in parts.items() if value is not None}


def read_templates(directory: str | Path) -> list[TemplateFile]:
    """Every template file in ``directory`` (not its subfolders), sorted by template name."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: not a folder", hint="Give the folder that holds NAME.yaml / NAME.json template files."
        )
    found: dict[str, TemplateFile] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        template = read_template(path)
        if template.name in found:
            raise ConfigError(
                f"{path}: template {template.name!r} is also defined by {found[template.name].path}",
                hint="Keep one file per template.",
            )
        found[template.name] = template
    if not found:
        raise ConfigError(
            f"{folder}: no template files (NAME.yaml, NAME.yml or NAME.json) in this folder",
            hint="Write one file per template, e.g. welcome.yaml with subject: and html: and/or text:.",
        )
    return [found[name] for name in sorted(found)]


def read_template(path: Path) -> TemplateFile:
    """The template in ``path`` (YAML or JSON, by its suffix)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    else:
        try:
            body = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: must hold a mapping (subject:, html:, text:), not {type(body).__name__}")
    if "TemplateContent" in body:
        return _aws_v2(path, body)
    if "Template" in body:
        return _aws_v1(path, body)
    return _plain(path, body)


def _plain(path: Path, body: dict[str, Any]) -> TemplateFile:
    unknown = sorted(set(body) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}",
            hint="A template file holds subject, html and/or text (or html_file, text_file), or the JSON of "
            "aws sesv2 create-email-template --cli-input-json.",
        )
    parts: dict[str, str | None] = {}
    for part in ("html", "text"):
        if body.get(part) is not None and body.get(f"{part}_file") is not None:
            raise ConfigError(f"{path}: {part} and {part}_file are both given", hint="Keep one of them.")
        parts[part] = _text(path, part, body.get(part))
        named = _text(path, f"{part}_file", body.get(f"{part}_file"))
        if named is not None:
            parts[part] = _beside(path, f"{part}_file", named)
    return _checked(
        path, path.stem, _text(path, "subject", body.get("subject")), parts["html"], parts["text"]
    )


def _aws_v2(path: Path, body: dict[str, Any]) -> TemplateFile:
    unknown = sorted(set(body) - {"TemplateName", "TemplateContent", "Tags"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} for aws sesv2 create-email-template JSON")
    content = body["TemplateContent"]
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: TemplateContent must be a mapping of Subject, Html and Text")
    extra = sorted(set(content) - {"Subject", "Html", "Text"})
    if extra:
        raise ConfigError(f"{path}: unknown key TemplateContent.{extra[0]}", hint="Use Subject, Html, Text.")
    tags = body.get("Tags") or []
    if not isinstance(tags, list) or not all(
        isinstance(t, dict) and isinstance(t.get("Key"), str) and isinstance(t.get("Value"), str)
        for t in tags
    ):
        raise ConfigError(f'{path}: Tags must be a list of {{"Key": ..., "Value": ...}}')
    made = _checked(
        path,
        _text(path, "TemplateName", body.get("TemplateName")) or path.stem,
        _text(path, "TemplateContent.Subject", content.get("Subject")),
        _text(path, "TemplateContent.Html", content.get("Html")),
        _text(path, "TemplateContent.Text", content.get("Text")),
    )
    pairs = tuple((t["Key"], t["Value"]) for t in tags)
    return TemplateFile(made.name, made.subject, made.html, made.text, path, pairs)


def _aws_v1(path: Path, body: dict[str, Any]) -> TemplateFile:
    template = body["Template"]
    if set(body) != {"Template"} or not isinstance(template, dict):
        raise ConfigError(f"{path}: aws ses create-template JSON holds one key, Template, with a mapping")
    extra = sorted(set(template) - {"TemplateName", "SubjectPart", "HtmlPart", "TextPart"})
    if extra:
        raise ConfigError(f"{path}: unknown key Template.{extra[0]}")
    parts = {v2: _text(path, f"Template.{v1}", template.get(v1)) for v1, v2 in _V1_PARTS}
    name = _text(path, "Template.TemplateName", template.get("TemplateName")) or path.stem
    return _checked(path, name, parts["Subject"], parts["Html"], parts["Text"])


def _checked(path: Path, name: str, subject: str | None, html: str | None, text: str | None) -> TemplateFile:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"{path}: {name!r} is not a template name SES takes",
            hint="Up to 64 ASCII letters, digits, underscores (_) and dashes (-); rename the file.",
        )
    if not subject:
        raise ConfigError(f"{path}: no subject", hint="Add subject: (it may hold {{variables}}).")
    if html is None and text is None:
        raise ConfigError(f"{path}: no html and no text", hint="Add html: and/or text: (or html_file:).")
    return TemplateFile(name, subject, html, text, path)


def _text(path: Path, key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"{path}: {key} must be text, not {type(value).__name__}", hint="Quote it.")


def _beside(path: Path, key: str, name: str) -> str:
    target = path.parent / name
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {key} {name!r} cannot be read: {exc}") from None


__all__ = ["NAME", "SUFFIXES", "TemplateFile", "read_template", "read_templates"]
