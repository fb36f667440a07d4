"""What the runner's dlt pipeline needs to know about its target: the destination, the file format dlt loads,
the staging layout of a merge, and the names dlt gives the tables.

A table's name is dlt's, not the replication's: the dataset passes dlt's ``dataset_name_layout`` and both
names its naming convention and the destination's case (``ses.ses_emails``, ``land_ses.ses_emails``,
``SES.SES_EMAILS``). Those are the names the runner prints and looks in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesflow.connections import (
    DuckDbConnection,
    LocalFilesConnection,
    PostgresConnection,
    S3FilesConnection,
    TargetConnection,
)
from sesflow.errors import ConfigError
from sesflow.sync.replication import StreamTask


@dataclass(frozen=True)
class CreatedNames:
    """The dataset, tables and columns as dlt creates them in the destination (each map: asked -> created)."""

    dataset: str
    tables: dict[str, str]
    columns: dict[str, str]

    def qualified(self, table: str) -> str:
        """``dataset.table`` of the table asked for as ``table``."""
        return f"{self.dataset}.{self.tables[table]}"


def created_names(pipeline: Any, tables: Iterable[str], columns: Iterable[str] = ()) -> CreatedNames:
    """The names dlt gives ``tables`` and ``columns`` in ``pipeline``'s destination, under its default schema
    (or, before its first run, a schema named after the pipeline, as the runner names its sources)."""
    client = pipeline.destination_client()
    schema = client.schema
    fold = client.capabilities.casefold_identifier
    naming = schema.naming
    return CreatedNames(
        fold(client.config.normalize_dataset_name(schema)),
        {table: fold(naming.normalize_table_identifier(table)) for table in tables},
        {column: fold(naming.normalize_identifier(column)) for column in columns},
    )


def staging_layout(pipeline: str) -> str:
    """dlt's staging dataset layout for this pipeline: ``<dataset>_staging_<8 hex digits>``.

    The same pipeline always gets the same name, so a resumed load finds what it staged before; the run lock
    keeps any other run out of it while it is in use.
    """
    return "%s_staging_" + hashlib.sha256(pipeline.encode()).hexdigest()[:8]


def destination(target: TargetConnection, duck: Any, pipeline: str) -> Any:
    """The dlt destination of ``target`` (over the open DuckDB connection ``duck`` for a DuckDB file)."""
    if isinstance(target, DuckDbConnection):
        return target.destination(duck, staging_dataset_name_layout=staging_layout(pipeline))
    if isinstance(target, PostgresConnection):
        return target.destination(staging_dataset_name_layout=staging_layout(pipeline))
    return target.destination()


def drop_staging(pipeline: Any) -> None:
    """Drop the run's staging dataset once nothing is left to load from it (SQL destinations)."""
    if pipeline.default_schema_name is None:
        return
    with pipeline.sql_client() as client, client.with_staging_dataset():
        if client.has_dataset():
            client.drop_dataset()


def load_seconds(pipeline: Any) -> float:
    """Seconds in dlt's normalize and load steps of the pipeline's last run."""
    trace = pipeline.last_trace
    total = 0.0
    for step in getattr(trace, "steps", []) or []:
        if step.step in ("normalize", "load") and step.started_at and step.finished_at:
            total += (step.finished_at - step.started_at).total_seconds()
    return total


def loaded_rows(pipeline: Any, names: Iterable[str]) -> dict[str, int]:
    """Rows the pipeline's last run normalised into each of ``names`` (tables as the schema names them)."""
    trace = pipeline.last_trace
    info = getattr(trace, "last_normalize_info", None) if trace is not None else None
    counts: dict[str, int] = dict(getattr(info, "row_counts", None) or {})
    return {name: int(counts.get(name, 0)) for name in names}


def check_target(name: str, target: TargetConnection, task: StreamTask) -> None:
    """Refuse up front what the target cannot load: a DuckDB file named like the stream's schema."""
    # DuckDB names a file's catalog after its stem; a schema of the same name makes every table reference
    # ambiguous ("ses.ses_emails" in ses.duckdb), and the load fails half-way.
    if isinstance(target, DuckDbConnection) and Path(target.instance).stem == task.schema:
        raise ConfigError(
            f"target {name}: the DuckDB file {target.instance} and the schema {task.schema!r} of "
            f"{task.object} have the same name, which DuckDB cannot tell apart",
            hint="Rename the file (e.g. sesflow.duckdb) or choose another schema in object: "
            "(e.g. ses_data.{stream_name}).",
        )


def file_format(target: TargetConnection, task: StreamTask) -> str | None:
    """The file format dlt loads ``target`` from (None: dlt's choice)."""
    if isinstance(target, LocalFilesConnection | S3FilesConnection):
        return task.file_format or target.format
    if isinstance(target, DuckDbConnection):
        return "parquet"
    if isinstance(target, PostgresConnection):
        # Parquet goes in through ADBC's binary COPY when its PostgreSQL driver is installed (a
        # dependency of sesflow): Arrow -> Parquet costs dlt almost nothing, where Arrow -> CSV took
        # ~0.6 s per 50,000 messages. CSV otherwise.
        return "parquet" if _has_adbc_postgres() else "csv"
    return None


def _has_adbc_postgres() -> bool:
    try:
        import adbc_driver_postgresql  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = [
    "CreatedNames",
    "check_target",
    "created_names",
    "destination",
    "drop_staging",
    "file_format",
    "load_seconds",
    "loaded_rows",
    "staging_layout",
]
