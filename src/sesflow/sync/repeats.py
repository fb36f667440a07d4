"""Removing repeated rows that a resumed dlt load can leave behind.

``sesflow.sync`` tells dlt that each batch it stages into DuckDB or PostgreSQL holds every message once, which
spares the destination the de-duplicating sort of a merge. One case breaks that promise: a run killed after a
file was copied into the staging table but before dlt marked the copy done is resumed by copying that file
again, so the merge inserts its rows twice. Only a resumed load can do that, and only then does the runner
call ``remove_repeats``: it keeps one row of each key (the rows of a twice-copied file are identical).
"""

from __future__ import annotations

from typing import Any, Literal

EMAIL_KEY = ("messageid",)
EVENT_KEY = ("messageid", "position")

# The physical row id of each engine: one row of a group of equal keys is kept by it.
_KEEP_ONE = {
    "duckdb": "DELETE FROM {t} WHERE rowid NOT IN (SELECT min(rowid) FROM {t} GROUP BY {keys})",
    "postgres": "DELETE FROM {t} a USING {t} b WHERE {same} AND a.ctid > b.ctid",
}


def remove_repeats(
    pipeline: Any, engine: Literal["duckdb", "postgres"], tables: dict[str, tuple[str, ...]]
) -> None:
    """Keep one row of each key in ``tables`` (table name -> key columns) of ``pipeline``'s dataset.

    Names go through the pipeline's naming convention, as dlt's own tables do; a table dlt has not created
    yet is skipped, and so is everything when the pipeline has no schema (dlt wiped its working folder on
    finding nothing of it in the destination).
    """
    if pipeline.default_schema_name is None:  # dlt found nothing of the pipeline in the destination
        return
    schema = pipeline.default_schema
    naming = schema.naming
    with pipeline.sql_client() as client:
        for table, key in tables.items():
            name = naming.normalize_table_identifier(table)
            if name not in schema.tables or not client.has_dataset():
                continue
            qualified = client.make_qualified_table_name(name)
            columns = [client.escape_column_name(naming.normalize_identifier(column)) for column in key]
            same = " AND ".join(f"a.{column} = b.{column}" for column in columns)
            client.execute_sql(_KEEP_ONE[engine].format(t=qualified, keys=", ".join(columns), same=same))


__all__ = ["EMAIL_KEY", "EVENT_KEY", "remove_repeats"]
