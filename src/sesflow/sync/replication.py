"""Sling replication files: source, target, defaults and streams, validated with errors that name the key.

```yaml
source: AWS_SES
target: MY_POSTGRES
defaults: { mode: incremental, object: ses.{stream_name} }
streams:
  ses_emails:            # a null stream takes the defaults
  ses_metrics:
    object: vdm.{stream_name}
```

Streams are those of the SES source (``sesflow.source.catalog``), ``'*'`` standing for all of them. The two
message streams come from one Message Insights export, so they run together: ``ses_emails`` brings
``ses_email_events`` along (in its schema, table ``ses_email_events``, or ``<table>_events``) unless the file
names ``ses_email_events`` itself, whose object must then be in the same schema and whose mode the same.

Modes: ``incremental`` (continue from the saved state), ``full-refresh`` (drop the tables and the state,
start again from the anchor), ``truncate`` (empty the tables and the state, keep the tables). Object names
are ``schema.table`` (the schema defaulting to ``ses``) and may use the runtime variables Sling documents for
a database target: ``{stream_name}``, ``{stream_table}``, ``{source_name}``, ``{target_name}``,
``{target_schema}`` (the target connection's ``schema``, else its database's default: ``public``, ``main``,
...) and ``{run_timestamp}``. The names are then normalised as dlt normalises them (``Raw-SES`` ->
``raw_ses``), so the names printed are the names of the tables dlt creates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sesflow.connections import describe_validation_error, yaml_error
from sesflow.errors import ConfigError
from sesflow.source.catalog import STREAM_NAMES
from sesflow.yamltext import load_yaml

Mode = Literal["incremental", "full-refresh", "truncate"]
DEFAULT_SCHEMA = "ses"
DEFAULT_OBJECT = "ses.{stream_name}"
_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
_TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
_TEMPLATE_NAMES = (
    "stream_name",
    "stream_table",
    "source_name",
    "target_name",
    "target_schema",
    "run_timestamp",
)
FILE_FORMATS = ("parquet", "csv", "jsonl")
EMAILS, EVENTS = "ses_emails", "ses_email_events"


class StreamConfig(BaseModel):
    """The settings of one stream (each falls back to ``defaults``). Sling's other keys are accepted."""

    model_config = _STRICT

    mode: Mode | None = None
    object: str | None = None
    disabled: bool | None = None
    primary_key: str | list[str] | None = None
    update_key: str | None = None
    source_options: dict[str, Any] | None = None
    target_options: dict[str, Any] | None = None


class ReplicationConfig(BaseModel):
    """A whole replication file."""

    model_config = _STRICT

    source: str
    target: str
    defaults: StreamConfig = StreamConfig()
    streams: dict[str, StreamConfig | None] = Field(min_length=1)
    env: dict[str, Any] | None = None


@dataclass(frozen=True)
class StreamTask:
    """One stream to run, everything resolved: the mode, and the target ``schema.table``.

    ``also`` holds the streams loaded in the same run, as (stream, table) pairs: ``ses_email_events`` with
    ``ses_emails``.
    """

    name: str
    mode: Mode
    schema: str
    table: str
    file_format: str | None = None  # target_options.format, for file targets
    also: tuple[tuple[str, str], ...] = ()

    @property
    def object(self) -> str:
        """``schema.table``."""
        return f"{self.schema}.{self.table}"

    @property
    def tables(self) -> dict[str, str]:
        """Stream -> table, for every stream of the run (its own first)."""
        return {self.name: self.table, **dict(self.also)}


def events_table(emails_table: str) -> str:
    """The events table beside an emails table: ``ses_emails`` -> ``ses_email_events``, else
    ``<table>_events``."""
    if emails_table.endswith("emails"):
        return emails_table[: -len("emails")] + "email_events"
    return f"{emails_table}_events"


@dataclass(frozen=True)
class Replication:
    """A validated replication: connection names and the streams to run, in file order."""

    config: ReplicationConfig
    origin: str = "replication"

    @classmethod
    def load(cls, path: str | Path) -> Replication:
        """Read and validate a replication YAML (or JSON) file."""
        path = Path(path)
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the replication file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(yaml_error(path, exc)) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        return cls.from_mapping(data, origin=str(path))

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "replication") -> Replication:
        """Validate a replication given as a mapping."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{origin}: a replication is a mapping with source, target and streams")
        try:
            config = ReplicationConfig.model_validate(dict(data))
        except ValidationError as exc:
            raise ConfigError(f"{origin}: {describe_validation_error(exc)}") from None
        for name in config.streams:
            if name not in STREAM_NAMES and name != "*":
                raise ConfigError(
                    f"{origin}: streams.{name}: unknown stream {name!r}",
                    hint=f"The aws_ses source has: {', '.join(STREAM_NAMES)}, or '*' for all of them.",
                )
        replication = cls(config, origin)
        replication.tasks()  # validates object templates early
        return replication

    def tasks(
        self,
        streams: Sequence[str] | None = None,
        mode: str | None = None,
        *,
        target_schema: str = DEFAULT_SCHEMA,
        run_timestamp: datetime | None = None,
    ) -> list[StreamTask]:
        """The streams to run: all enabled ones or those in ``streams``; ``mode`` overrides the file.

        ``target_schema`` is what ``{target_schema}`` stands for (the target connection's default schema).
        """
        if mode is not None and mode not in ("incremental", "full-refresh", "truncate"):
            raise ConfigError(f"--mode {mode!r} is not one of incremental, full-refresh, truncate")
        configured: dict[str, StreamConfig] = {}
        for name, stream in self.config.streams.items():
            if name == "*":
                for known in STREAM_NAMES:
                    configured.setdefault(known, stream or StreamConfig())
            else:
                configured[name] = stream or StreamConfig()
        if streams:
            for name in streams:
                if name not in STREAM_NAMES:
                    raise ConfigError(
                        f"--streams: unknown stream {name!r}",
                        hint=f"The aws_ses source has: {', '.join(STREAM_NAMES)}.",
                    )
            unknown = [name for name in streams if name not in configured]
            if unknown:
                raise ConfigError(
                    f"--streams: {', '.join(unknown)} not in {self.origin}",
                    hint=f"Streams in the file: {', '.join(configured)}.",
                )
            streams = list(dict.fromkeys(streams))
            selected = list(streams)
        else:
            selected = [name for name, stream in configured.items() if not stream.disabled]
        tasks = []
        for name in selected:
            stream = configured[name]
            chosen: Any = mode or stream.mode or self.config.defaults.mode or "incremental"
            template = stream.object or self.config.defaults.object or DEFAULT_OBJECT
            values = {
                "stream_name": name,
                "stream_table": name,
                "source_name": self.config.source.lower(),
                "target_name": self.config.target.lower(),
                "target_schema": target_schema,
                "run_timestamp": (run_timestamp or datetime.now(UTC)).strftime("%Y_%m_%d_%H%M%S"),
            }
            schema, table = self._object(template, values)
            options = {**(self.config.defaults.target_options or {}), **(stream.target_options or {})}
            file_format = options.get("format")
            if file_format is not None and file_format not in FILE_FORMATS:
                raise ConfigError(
                    f"{self.origin}: streams.{name}.target_options.format: {file_format!r} is not one of "
                    f"{', '.join(FILE_FORMATS)}"
                )
            tasks.append(StreamTask(name, chosen, schema, table, file_format))
        return self._together(tasks)

    def _together(self, tasks: list[StreamTask]) -> list[StreamTask]:
        """``ses_email_events`` folded into the ``ses_emails`` task: one export feeds both tables."""
        by_name = {task.name: task for task in tasks}
        emails, events = by_name.get(EMAILS), by_name.get(EVENTS)
        if emails is None:
            return tasks
        if events is None:
            if EVENTS in self.config.streams:  # named in the file, and left out (disabled, or --streams)
                return tasks
            joined = replace(emails, also=((EVENTS, events_table(emails.table)),))
            return [joined if task is emails else task for task in tasks]
        where = f"{self.origin}: streams.{EVENTS}"
        if (events.schema, events.mode, events.file_format) != (
            emails.schema,
            emails.mode,
            emails.file_format,
        ):
            raise ConfigError(
                f"{where}: {events.object} ({events.mode}) and {EMAILS}'s {emails.object} ({emails.mode}) "
                "must share the schema, the mode and the format",
                hint="Both tables come from one Message Insights export and load in one run; give them "
                "objects in one schema, e.g. ses.{stream_name}.",
            )
        joined = replace(emails, also=((EVENTS, events.table),))
        return [joined if task is emails else task for task in tasks if task is not events]

    def _object(self, template: str, values: Mapping[str, str]) -> tuple[str, str]:
        for field_name in _TEMPLATE_FIELD.findall(template):
            if field_name not in _TEMPLATE_NAMES:
                raise ConfigError(
                    f"{self.origin}: object {template!r}: unknown variable {{{field_name}}}",
                    hint="Sling's variables for a database target: "
                    + ", ".join(f"{{{n}}}" for n in _TEMPLATE_NAMES)
                    + ".",
                )
        name = _TEMPLATE_FIELD.sub(lambda m: values[m[1]], template)
        schema, _, table = name.rpartition(".")
        if not table or "." in schema:
            raise ConfigError(
                f"{self.origin}: object {template!r} gives {name!r}, not schema.table",
                hint="Write the object as schema.table, e.g. ses.{stream_name}.",
            )
        return _normalised(schema or DEFAULT_SCHEMA), _normalised(table)


def _normalised(name: str) -> str:
    """``name`` as dlt's default naming convention (snake_case) writes a dataset or table name."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return str(NamingConvention().normalize_table_identifier(name))
