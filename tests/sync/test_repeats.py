"""remove_repeats: after a resumed load, one row per key is left, in real DuckDB and PostgreSQL tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest

from sesflow.connections import DuckDbConnection, PostgresConnection
from sesflow.sync.repeats import EMAIL_KEY, EVENT_KEY, remove_repeats

EMAILS = pa.table({"messageid": ["a", "b", "a", "c", "b"], "subject": ["A", "B", "A", "C", "B"]})
EVENTS = pa.table(
    {
        "messageid": ["a", "a", "a", "a", "b"],
        "position": [0, 1, 0, 1, 0],
        "type": ["SEND", "DELIVERY", "SEND", "DELIVERY", "SEND"],
    }
)


def _load_twice_staged_rows(destination: Any, folder: Path, schema: str) -> Any:
    pipeline = dlt.pipeline(
        pipeline_name=f"repeats_{schema}",
        destination=destination,
        dataset_name=schema,
        pipelines_dir=str(folder / "pipelines"),
    )
    pipeline.run(
        [
            dlt.resource([EMAILS], name="ses_emails", write_disposition="append"),
            dlt.resource([EVENTS], name="ses_email_events", write_disposition="append"),
        ]
    )
    return pipeline


def _rows(pipeline: Any, table: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(table)
        columns = "messageid, subject" if table == "ses_emails" else "messageid, position, type"
        return sorted(tuple(row) for row in client.execute_sql(f"SELECT {columns} FROM {name}"))


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_remove_repeats_keeps_one_row_per_key(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "duckdb":
        destination = DuckDbConnection(type="duckdb", instance=str(tmp_path / "r.duckdb")).destination()
        schema = "ses"
    else:
        url = request.getfixturevalue("pg_url")
        destination = PostgresConnection(type="postgres", url=url).destination()
        schema = request.getfixturevalue("unique_schema")
    pipeline = _load_twice_staged_rows(destination, tmp_path, schema)
    assert len(_rows(pipeline, "ses_emails")) == 5
    remove_repeats(
        pipeline,
        "duckdb" if engine == "duckdb" else "postgres",
        {"ses_emails": EMAIL_KEY, "ses_email_events": EVENT_KEY, "not_created_yet": EMAIL_KEY},
    )
    assert _rows(pipeline, "ses_emails") == [("a", "A"), ("b", "B"), ("c", "C")]
    assert _rows(pipeline, "ses_email_events") == [("a", 0, "SEND"), ("a", 1, "DELIVERY"), ("b", 0, "SEND")]
