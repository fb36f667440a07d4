"""The campaign file: what a campaign sends, to whom, and how (``campaign.yaml``), as validated values.

::

    name: november-news                  # letters, digits, _ and -: it is the EmailTag `campaign`
    from: "Shop <news@shop.example>"
    subject: "{{ first_name }}, our November news"
    text: {file: november.txt}           # a Jinja2 template inline, or {file: PATH}
    html: {file: november.html}
    recipients: {csv: recipients.csv}    # or {jsonl: PATH}, or {sql: "select ...", connection: NAME}
    attachments: [{path: catalog.pdf}]
    inline_images: [{path: logo.png, cid: logo}]
    unsubscribe: {url: "https://shop.example/u/{{ id }}"}
    tags: {team: marketing}
    configuration_set: marketing
    rate: auto
    connections: 8
    ledger: MY_PG                        # a postgres connection, or a path; default: beside this file
    sync: {target: MY_DUCK, schema: ses} # where `sesflow run` loads Message Insights
    ses: {connection: AWS_SES}           # or region / endpoint_url / api
    settle: 1h

Paths are relative to the campaign file. ``load_spec`` reads the YAML and raises ``ConfigError`` naming the
key at fault. ``CampaignSpec`` is also what the Python API takes (``Campaign(CampaignSpec(...))``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sesflow.errors import ConfigError
from sesflow.yamltext import load_yaml

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
# SES accepts only these characters in EmailTag names and values.
TAG_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
RESERVED_TAGS = frozenset({"campaign", "sesflow_id"})
DEFAULT_LEDGER_FILE = "sesflow-campaigns.sqlite"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: str | float | int, key: str) -> float:
    """``90``, ``90s``, ``15m``, ``1h``, ``2d`` as seconds; a ConfigError naming ``key`` otherwise."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not a duration", hint="Write e.g. 30s, 15m, 1h or 2d.")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(f"{key}: {value!r} is not a duration", hint="Write e.g. 30s, 15m, 1h or 2d.")
        seconds = float(match.group(1)) * _SECONDS[match.group(2) or "s"]
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(f"{key}: {value!r} is not a duration", hint="Write e.g. 30s, 15m, 1h or 2d.")
    return seconds


class TemplateFile(BaseModel):
    """A template read from a file (``{file: PATH}``), relative to the campaign file."""

    model_config = _STRICT

    file: str


Template = str | TemplateFile


class RecipientsSpec(BaseModel):
    """Where the recipients come from: exactly one of ``csv``, ``jsonl`` or ``sql`` (+ ``connection``).

    ``email_column`` names the address column (default ``email``), ``name_column`` an optional display
    name. Every column is a template variable.
    """

    model_config = _STRICT

    csv: str | None = None
    jsonl: str | None = None
    sql: str | None = None
    connection: str | None = None
    email_column: str = "email"
    name_column: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","

    @model_validator(mode="after")
    def _one_source(self) -> RecipientsSpec:
        given = [key for key in ("csv", "jsonl", "sql") if getattr(self, key)]
        if len(given) != 1:
            raise ValueError("give exactly one of csv, jsonl or sql")
        if self.sql and not self.connection:
            raise ValueError("sql needs a connection (a postgres or duckdb connection name)")
        if self.connection and not self.sql:
            raise ValueError("connection goes with sql")
        if len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        return self

    @property
    def kind(self) -> Literal["csv", "jsonl", "sql"]:
        """Which source this is."""
        if self.csv:
            return "csv"
        return "jsonl" if self.jsonl else "sql"


class AttachmentSpec(BaseModel):
    """A file attached to every message (read once, encoded once)."""

    model_config = _STRICT

    path: str
    filename: str | None = None
    content_type: str | None = None


class InlineImageSpec(BaseModel):
    """An image the html references as ``cid:<cid>``."""

    model_config = _STRICT

    path: str
    cid: str
    filename: str | None = None
    content_type: str | None = None


class UnsubscribeSpec(BaseModel):
    """The per-recipient List-Unsubscribe URL (a template), one-click (RFC 8058) by default.

    ``url`` must render to an https URL for one-click; ``mailto`` adds a mailto: address to the header.
    The rendered URL is also the template variable ``unsubscribe_url``.
    """

    model_config = _STRICT

    url: str
    mailto: str | None = None
    one_click: bool = True


class SesSpec(BaseModel):
    """How to reach SES: an ``aws_ses`` connection, or region / endpoint_url; ``api`` v2 (default) or v1."""

    model_config = _STRICT

    connection: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    api: Literal["v2", "v1"] = "v2"


class SyncSpec(BaseModel):
    """The database ``sesflow run`` loads Message Insights into: suppression checks and outcomes use it."""

    model_config = _STRICT

    target: str
    schema_: str = Field("ses", alias="schema")


class CampaignSpec(BaseModel):
    """One campaign: content (templates, attachments, tags), recipients and how to send.

    ``recipients`` may be left out when the Python API is given an iterable of rows instead.
    """

    model_config = _STRICT

    name: str
    from_: str = Field(alias="from")
    reply_to: str | None = None
    subject: Template
    text: Template | None = None
    html: Template | None = None
    recipients: RecipientsSpec | None = None
    attachments: tuple[AttachmentSpec, ...] = ()
    inline_images: tuple[InlineImageSpec, ...] = ()
    unsubscribe: UnsubscribeSpec | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    configuration_set: str | None = None
    rate: float | Literal["auto"] | None = "auto"
    connections: int = 10
    ledger: str | None = None
    ledger_schema: str | None = None
    sync: SyncSpec | None = None
    ses: SesSpec = SesSpec()
    settle: str | float = "1h"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(
                f"{value!r} may hold only letters, digits, _ and - (at most 100, starting with a letter or "
                "digit): it is sent as the EmailTag 'campaign'"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if name in RESERVED_TAGS:
                raise ValueError(f"{name!r} is set by sesflow itself; pick another tag name")
            if not TAG_TEXT.match(name) or not TAG_TEXT.match(str(text)):
                raise ValueError(
                    f"{name}: {text!r}: SES allows only letters, digits, _ and - in tag names and values"
                )
        return value

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> Any:
        if value is None or value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{value!r}: give a positive number of recipients per second, or auto")
        return value

    @field_validator("connections")
    @classmethod
    def _connections(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"{value}: at least 1")
        return value

    @field_validator("settle")
    @classmethod
    def _settle(cls, value: str | float) -> str | float:
        parse_duration(value, "settle")
        return value

    @model_validator(mode="after")
    def _body(self) -> CampaignSpec:
        if self.text is None and self.html is None:
            raise ValueError("give text, html or both")
        return self

    @property
    def settle_seconds(self) -> float:
        """The settle time in seconds (see ``reconcile``)."""
        return parse_duration(self.settle, "settle")


def describe(exc: ValidationError) -> str:
    """One line per problem, each naming the key path: ``recipients.csv: ...``."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(item) for item in error["loc"] if not str(item).startswith("function-")) or "(top)"
        key = key.replace("from_", "from").replace("schema_", "schema")
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        elif error["type"] == "missing":
            parts.append(f"{key} is missing")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{key}: {message}" if key != "(top)" else message)
    return "; ".join(dict.fromkeys(parts))


def parse_spec(data: Mapping[str, Any], origin: str = "campaign") -> CampaignSpec:
    """Validate a campaign given as a mapping; ConfigError naming the key otherwise."""
    try:
        return CampaignSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(
            f"{origin}: {describe(exc)}", hint="See the Campaigns section of the README for the keys."
        ) from None


def load_spec(path: str | Path) -> CampaignSpec:
    """Read and validate a campaign file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"campaign file {file} does not exist", hint="Check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the campaign file {file}: {exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: a campaign file is a YAML mapping (name:, from:, subject:, ...)")
    return parse_spec(data, str(file))


__all__ = [
    "DEFAULT_LEDGER_FILE",
    "AttachmentSpec",
    "CampaignSpec",
    "InlineImageSpec",
    "RecipientsSpec",
    "SesSpec",
    "SyncSpec",
    "Template",
    "TemplateFile",
    "UnsubscribeSpec",
    "load_spec",
    "parse_duration",
    "parse_spec",
]
