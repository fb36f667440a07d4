"""The service fixtures give real servers: a round trip through each proves it."""

from __future__ import annotations

import psycopg
import redis

from tests.services import pg_answers, redis_answers, throwaway_postgres, throwaway_redis


def test_pg_url_is_a_fresh_database_with_a_real_round_trip(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("create table round_trip (id int primary key, subject text)")
        conn.execute("insert into round_trip values (1, %s)", ("Grüße ✉",))
        conn.commit()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select subject from round_trip where id = 1").fetchone() == ("Grüße ✉",)


def test_redis_url_answers_set_and_get(redis_url: str, redis_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(f"{redis_prefix}round-trip", "✉ sent")
    assert client.get(f"{redis_prefix}round-trip") == "✉ sent".encode()


def test_throwaway_postgres_starts_from_the_installed_binaries_and_stops() -> None:
    with throwaway_postgres() as url:
        assert pg_answers(url)
        with psycopg.connect(url) as conn:
            assert conn.execute("show port").fetchone() != ("5432",)
    assert not pg_answers(url)


def test_throwaway_redis_starts_from_the_installed_binary_and_stops() -> None:
    with throwaway_redis() as url:
        client = redis.Redis.from_url(url)
        client.set("k", "v")
        assert client.get("k") == b"v"
    assert not redis_answers(url)
