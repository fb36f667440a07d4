"""``DuckDbHeld`` / ``PostgresHeld``: whether a target holds any of a window's messages, in either table (a
real DuckDB file and the real PostgreSQL server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pytest

from sesflow.sync.held import DuckDbHeld, PostgresHeld

EARLY = "010001a160e8600f-00000000-5eed-0001-8000-000000000000-000000"
EVENTS_ONLY = "010001a160e867cc-00000000-5eed-0001-8000-000000000001-000000"
LATER = "010001a160e8a3fa-00000000-5eed-0001-8000-000000000002-000000"
NEW = "010001a1ffffffff-00000000-5eed-0001-8000-000000000003-000000"
# Between EARLY and LATER in byte order (upper case sorts first); a locale's order may put it elsewhere.
BETWEEN = "010001a160e8A000-00000000-5eed-0001-8000-000000000004-000000"

# The names as dlt created them (the runner hands the checks dlt's names, see tests/sync/test_names.py).
DATASET, TABLES = "ses_data", ("my_emails", "my_email_events")

Held = Callable[..., Any]


@pytest.fixture(params=["duckdb", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Held, Callable[[str], None]]]:
    """(make a checker, run SQL) over a target where EARLY and LATER are in both tables and EVENTS_ONLY has
    events but no message row (as a killed load may leave them)."""
    setup = [
        "CREATE SCHEMA ses_data",
        "CREATE TABLE ses_data.my_emails (messageid VARCHAR, subject VARCHAR)",
        "CREATE TABLE ses_data.my_email_events (messageid VARCHAR, position BIGINT)",
        f"INSERT INTO ses_data.my_emails VALUES ('{EARLY}', 'a'), ('{LATER}', 'b')",
        f"INSERT INTO ses_data.my_email_events VALUES ('{EARLY}', 0), ('{EVENTS_ONLY}', 0), ('{LATER}', 0)",
    ]
    if request.param == "duckdb":
        with duckdb.connect(str(tmp_path / "target.duckdb")) as db:
            for statement in setup:
                db.execute(statement)

            def duck(dataset: str = DATASET, tables: tuple[str, ...] = TABLES) -> Any:
                return DuckDbHeld(db, dataset, tables)

            yield duck, db.execute
        return
    url = request.getfixturevalue("pg_url")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP SCHEMA IF EXISTS ses_data CASCADE")
        for statement in setup:
            db.execute(statement.encode())
        made: list[PostgresHeld] = []

        def postgres(dataset: str = DATASET, tables: tuple[str, ...] = TABLES) -> Any:
            made.append(PostgresHeld(url, dataset, tables))
            return made[-1]

        yield postgres, lambda statement: db.execute(statement.encode())
        for held in made:
            held.close()
        db.execute("DROP SCHEMA ses_data CASCADE")


def _ids(*ids: str | None) -> pa.Array:
    return pa.array(ids, type=pa.string())


def test_a_message_in_either_table_is_held(target: tuple[Held, Any]) -> None:
    held = target[0]()
    assert held(_ids(EARLY))
    assert held(_ids(EVENTS_ONLY))  # only its events are there: appending it would repeat them
    assert held(_ids(NEW, LATER))
    assert held(pa.chunked_array([_ids(NEW), _ids(EARLY)]))


def test_new_messages_are_not_held(target: tuple[Held, Any]) -> None:
    held = target[0]()
    assert not held(_ids(NEW))
    assert not held(_ids(BETWEEN))  # within the table's range of ids, but not one of them
    assert not held(_ids(BETWEEN, NEW))
    assert not held(_ids(None))
    assert not held(_ids())


def test_a_dataset_or_table_not_created_yet_holds_nothing(target: tuple[Held, Any]) -> None:
    make = target[0]
    assert not make(dataset="other")(_ids(EARLY))
    assert not make(dataset="ses_data", tables=("nothing",))(_ids(EARLY))


def test_a_table_it_cannot_look_into_counts_as_holding(target: tuple[Held, Any]) -> None:
    # a merge is right whatever the table holds; an append is right only when the check could be made
    make, execute = target
    execute("CREATE TABLE ses_data.odd (id BIGINT)")
    assert make(dataset="ses_data", tables=("odd",))(_ids(NEW))


def test_the_time_spent_checking_is_counted_once(target: tuple[Held, Any]) -> None:
    held = target[0]()
    held(_ids(EARLY))
    assert held.take_seconds() > 0
    assert held.take_seconds() == 0


def test_postgres_indexes_messageid_in_byte_order(pg_url: str, unique_schema: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {unique_schema}".encode())
        for table in ("my_emails", "my_email_events"):
            db.execute(f"CREATE TABLE {unique_schema}.{table} (messageid VARCHAR)".encode())
        held = PostgresHeld(pg_url, unique_schema, TABLES)
        try:
            assert not held(_ids(NEW))
        finally:
            held.close()
        indexes = db.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", [unique_schema]
        ).fetchall()
        db.execute(f"DROP SCHEMA {unique_schema} CASCADE".encode())
    assert [table for table, _ in indexes] == ["my_email_events", "my_emails"]
    assert all('(messageid COLLATE "C")' in definition for _, definition in indexes)


def _window(*rows: tuple[str, str]) -> pa.Table:
    return pa.table({"messageid": _ids(*(r[0] for r in rows)), "_raw": _ids(*(r[1] for r in rows))})


def test_unchanged_messages_have_the_same_raw_record_and_all_their_events(target: tuple[Held, Any]) -> None:
    make, execute = target
    execute("ALTER TABLE ses_data.my_emails ADD COLUMN _raw VARCHAR")
    execute("UPDATE ses_data.my_emails SET _raw = 'record ' || subject")
    held = make()
    emails = _window(
        (EARLY, "record a"), (LATER, "record b, later event"), (NEW, "record n"), (EVENTS_ONLY, "e")
    )
    events = pa.table({"messageid": _ids(EARLY, LATER, LATER, NEW, EVENTS_ONLY)})
    assert held.unchanged(emails, events).to_pylist() == [EARLY]
    # Its record as loaded, but one event more than the target holds (a load cut between tables): rewritten.
    assert held.unchanged(emails, pa.table({"messageid": _ids(EARLY, EARLY)})).to_pylist() == []
    both = _window((EARLY, "record a"), (LATER, "record b"))
    same = held.unchanged(both, pa.table({"messageid": _ids(EARLY, LATER)})).to_pylist()
    assert sorted(same) == sorted([EARLY, LATER])
    assert held.take_seconds() > 0


def test_without_a_raw_column_or_a_table_no_message_counts_as_unchanged(target: tuple[Held, Any]) -> None:
    make = target[0]
    emails, events = _window((EARLY, "record a")), pa.table({"messageid": _ids(EARLY)})
    assert make().unchanged(emails, events).to_pylist() == []  # the fixture's tables have no _raw
    assert make(dataset="other").unchanged(emails, events).to_pylist() == []
    assert make().unchanged(pa.table({"messageid": _ids(EARLY)}), events).to_pylist() == []
