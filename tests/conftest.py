"""Fixtures shared by every test: real PostgreSQL and Redis servers, each with per-session isolation."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis
from psycopg.conninfo import conninfo_to_dict

from tests.services import (
    DEFAULT_PG_URL,
    DEFAULT_REDIS_URL,
    pg_answers,
    redis_answers,
    throwaway_postgres,
    throwaway_redis,
)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server URL: SESFLOW_TEST_PG_URL, else the local service, else a throwaway server."""
    url = os.environ.get("SESFLOW_TEST_PG_URL")
    if url:
        yield url
        return
    if pg_answers(DEFAULT_PG_URL):
        yield DEFAULT_PG_URL
        return
    with throwaway_postgres() as started:
        yield started


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> Iterator[str]:
    """URL of a fresh PostgreSQL database that only this test session uses; dropped at the end."""
    name = f"sesflow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(pg_server_url)
    user = f"{params['user']}@" if params.get("user") else ""
    yield f"postgresql://{user}{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{name}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin, contextlib.suppress(psycopg.Error):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server URL: SESFLOW_TEST_REDIS_URL, else the local service, else a throwaway server."""
    url = os.environ.get("SESFLOW_TEST_REDIS_URL")
    if url:
        yield url
        return
    if redis_answers(DEFAULT_REDIS_URL):
        yield DEFAULT_REDIS_URL
        return
    with throwaway_redis() as started:
        yield started


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix that only this test session uses; its keys are deleted at the end."""
    prefix = f"sesflow-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
