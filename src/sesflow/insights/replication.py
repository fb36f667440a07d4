"""Sling replication files: source, target, defaults and streams, validated with errors that name the key.

```yaml
source: AWS_SES
target: MY_POSTGRES
defaults: { mode: incremental, object: ses.{stream_name} }
streams:
  ses_emails:            # a null stream takes the defaults
```

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sesflow.connections import SES_STREAMS, describe_validation_error, yaml_error
from sesflow.errors import ConfigError
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
    """One stream to run, everything resolved: the mode, and the target ``schema.table``."""

    name: str
    mode: Mode
    schema: str
    table: str
    file_format: str | None = None  # target_options.format, for file targets

    @property
    def object(self) -> str:
        """``schema.table``."""
        return f"{self.schema}.{self.table}"

    @property
    def events_table(self) -> str:
        """The events table: ``ses_emails`` -> ``ses_email_events``, else ``<table>_events``."""
        if self.table.endswith("emails"):
            return self.table[: -len("emails")] + "email_events"
        return f"{self.table}_events"


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
        known = {stream.name for stream in SES_STREAMS}
        for name in config.streams:
            if name not in known and name != "*":
                raise ConfigError(
                    f"{origin}: streams.{name}: unknown stream {name!r}",
                    hint=f"The aws_ses source has: {', '.join(sorted(known))}.",
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
                for info in SES_STREAMS:
                    configured.setdefault(info.name, stream or StreamConfig())
            else:
                configured[name] = stream or StreamConfig()
        if streams:
            unknown = [name for name in streams if name not in configured]
            if unknown:
                raise ConfigError(
                    f"--streams: {', '.join(unknown)} not in {self.origin}",
                    hint=f"Streams in the file: {', '.join(configured)}.",
                )
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
        return tasks

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
