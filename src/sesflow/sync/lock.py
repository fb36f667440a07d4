"""One run at a time per target dataset: the lock a sync holds while it checks and loads.

Two runs loading the same dataset at once would both find a batch new and both append it (the check for held
messages and the load are two steps), and would share dlt's staging tables. So a run first takes:

- on PostgreSQL, a session advisory lock keyed on the database and the dataset, held by a connection of its
  own; the holder is told by that connection's ``application_name`` (``sesflow run HOST PID SINCE``), which
  PostgreSQL shows in ``pg_stat_activity`` and frees with the lock when the process dies;
- on DuckDB, DuckDB's own file lock (one writing process per file): the runner keeps the file open for the
  whole stream. Who holds it is written beside the file (``<file>.sesflow-run``) for a waiting run to print;
- on SQLite and local files, an ``flock`` on a file beside the database or in the folder, holding the same
  information.

A run that finds the target locked waits, saying who holds it (host, pid, since), or with ``wait=False``
raises ``TargetBusyError`` at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sesflow.errors import SyncError, TargetBusyError
from sesflow.sync.progress import Holder, Waiting

POLL_SECONDS = 0.5
_LOCK_CLASS = 0x5E5F  # the first key of sesflow's advisory locks (the second is a hash of the dataset)
_APPLICATION = "sesflow run"


def me() -> Holder:
    """This process as a holder."""
    return Holder(socket.gethostname(), os.getpid(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


OnWait = Callable[[Waiting], None]


def _wait_loop(
    target: str,
    try_take: Callable[[], Holder | None],
    *,
    wait: bool,
    on_wait: OnWait,
    stop: threading.Event | None,
) -> None:
    """Call ``try_take`` until it returns None (taken); it returns the holder while the target is busy."""
    told: Holder | None = None
    while True:
        holder = try_take()
        if holder is None:
            return
        if not wait:
            raise TargetBusyError(
                f"target {target} is being loaded by another run ({holder.describe()})",
                hint="Run again when it has finished, or leave out --no-wait to wait for it.",
            )
        if holder != told:
            on_wait(Waiting(target, holder))
            told = holder
        if stop is not None and stop.wait(POLL_SECONDS):
            raise KeyboardInterrupt
        if stop is None:
            time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def postgres_lock(
    dsn: str,
    dataset: str,
    target: str,
    *,
    wait: bool = True,
    on_wait: OnWait = lambda event: None,
    stop: threading.Event | None = None,
) -> Iterator[None]:
    """Hold the advisory lock of ``dataset`` in the database of ``dsn`` for the block."""
    import psycopg

    holder = me()
    application = f"{_APPLICATION} {holder.host} {holder.pid} {holder.since}"[:63]
    try:
        db = psycopg.connect(dsn, autocommit=True, connect_timeout=10, application_name=application)
    except psycopg.Error as exc:
        raise SyncError(
            f"target {target}: cannot connect to take the run lock: {' '.join(str(exc).split())}"
        ) from None
    key = int.from_bytes(hashlib.sha256(dataset.encode()).digest()[:4], "big", signed=True)
    try:

        def try_take() -> Holder | None:
            row = db.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, key]).fetchone()
            if row and row[0]:
                return None
            return _postgres_holder(db, key)

        _wait_loop(target, try_take, wait=wait, on_wait=on_wait, stop=stop)
        yield
    finally:
        db.close()  # ends the session, which frees the lock (also when the process is killed)


def _postgres_holder(db: Any, key: int) -> Holder:
    row = db.execute(
        "SELECT a.application_name, a.client_hostname, host(a.client_addr), a.pid, a.backend_start "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid AND l.objid = %s::oid "
        "AND l.objsubid = 2 LIMIT 1",
        [_LOCK_CLASS & 0xFFFFFFFF, key & 0xFFFFFFFF],
    ).fetchone()
    if row is None:
        return Holder(None, None, None)
    application, client_host, client_addr, backend_pid, started = row
    words = str(application or "").split()
    if str(application or "").startswith(_APPLICATION) and len(words) == 5:
        return Holder(words[2], int(words[3]) if words[3].isdigit() else None, words[4])
    since = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if started else None
    return Holder(client_host or client_addr, backend_pid, since)


def info_path(database: Path) -> Path:
    """Where the holder of a DuckDB file (or SQLite file, or folder) is written."""
    if database.is_dir():
        return database / ".sesflow-run"
    return database.with_name(database.name + ".sesflow-run")


def write_holder(database: Path) -> Path:
    """Write this process as the holder of ``database``; return the file (remove it when done)."""
    path = info_path(database)
    holder = me()
    path.write_text(
        json.dumps({"host": holder.host, "pid": holder.pid, "since": holder.since}), encoding="utf-8"
    )
    return path


def read_holder(database: Path, pid: int | None = None) -> Holder:
    """The holder written beside ``database`` (when it names ``pid``, if given), else what is known."""
    try:
        data = json.loads(info_path(database).read_text(encoding="utf-8"))
        holder = Holder(data.get("host"), data.get("pid"), data.get("since"))
    except (OSError, ValueError, AttributeError):
        return Holder(None, pid, None)
    if pid is not None and holder.pid != pid:
        return Holder(None, pid, None)
    return holder


def open_duckdb(
    target: str,
    connect: Callable[[], Any],
    database: Path,
    *,
    wait: bool = True,
    on_wait: OnWait = lambda event: None,
    stop: threading.Event | None = None,
) -> Any:
    """``connect()`` a DuckDB file, waiting while another process holds DuckDB's write lock on it."""
    import duckdb

    opened: list[Any] = []

    def try_take() -> Holder | None:
        try:
            opened.append(connect())
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise SyncError(
                    f"target {target}: cannot open the DuckDB file {database}: {message}"
                ) from None
            return read_holder(database, _pid_in(message))
        except duckdb.Error as exc:
            raise SyncError(f"target {target}: cannot open the DuckDB file {database}: {exc}") from None
        return None

    _wait_loop(target, try_take, wait=wait, on_wait=on_wait, stop=stop)
    write_holder(database)
    return opened[0]


def _pid_in(message: str) -> int | None:
    # DuckDB: 'Conflicting lock is held in /usr/bin/python3.11 (PID 1234) by user root'
    marker = "(PID "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(")", 1)[0]
    return int(digits) if digits.isdigit() else None


@contextlib.contextmanager
def file_lock(
    path: Path,
    target: str,
    *,
    wait: bool = True,
    on_wait: OnWait = lambda event: None,
    stop: threading.Event | None = None,
) -> Iterator[None]:
    """Hold an ``flock`` on ``path`` (created) for the block; the file tells who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the block, closed below
    try:

        def try_take() -> Holder | None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                try:
                    data = json.loads(handle.read() or "{}")
                except ValueError:
                    data = {}
                return Holder(data.get("host"), data.get("pid"), data.get("since"))
            return None

        _wait_loop(target, try_take, wait=wait, on_wait=on_wait, stop=stop)
        holder = me()
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"host": holder.host, "pid": holder.pid, "since": holder.since}))
        handle.flush()
        yield
    finally:
        handle.close()  # frees the lock


__all__ = [
    "OnWait",
    "file_lock",
    "info_path",
    "me",
    "open_duckdb",
    "postgres_lock",
    "read_holder",
    "write_holder",
]
