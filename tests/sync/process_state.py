"""Count glibc's malloc arenas around a real ``sesflow.sync()`` in a fresh interpreter, for test_process.py.

    python process_state.py ENDPOINT FOLDER plain|tuned

Prints one JSON line: the arenas twelve threads allocating at once end up with while the sync runs and after
it returned. glibc gives each such thread an arena of its own up to its limit (8 per core by default), so the
counts show whether the sync (or, with ``tuned``, ``process_tuning``) limited the process's arenas.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

LIBC = ctypes.CDLL("libc.so.6")
LIBC.malloc.restype = ctypes.c_void_p
LIBC.free.argtypes = [ctypes.c_void_p]
LIBC.fopen.restype = ctypes.c_void_p
LIBC.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
LIBC.fclose.argtypes = [ctypes.c_void_p]
THREADS = 12


def arenas() -> int:
    """How many arenas glibc has made so far (``<heap nr=...>`` entries of ``malloc_info``)."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        handle = LIBC.fopen(out.name.encode(), b"w")
        LIBC.malloc_info(0, handle)
        LIBC.fclose(handle)
        return Path(out.name).read_text().count("<heap nr=")


def burst() -> int:
    """Arenas after ``THREADS`` threads each hold a 64 KiB block (below the mmap threshold) at once."""
    barrier = threading.Barrier(THREADS + 1)

    def hold() -> None:
        block = LIBC.malloc(64 * 1024)
        barrier.wait()
        barrier.wait()
        LIBC.free(block)

    threads = [threading.Thread(target=hold) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    count = arenas()
    barrier.wait()
    for thread in threads:
        thread.join()
    return count


def main() -> None:
    endpoint, folder, how = sys.argv[1:]
    import sesflow
    from sesflow.sync import process_tuning
    from sesflow.sync.progress import ProgressEvent, RangePlanned

    anchor = (datetime.now(UTC) - timedelta(days=4)).date().isoformat()
    inputs = {"region": "us-east-1", "endpoint_url": endpoint, "anchor_date": anchor, "poll_interval": 0.2}
    connections = {
        "SES": {"type": "api", "spec": "aws_ses", "inputs": {**inputs, "range_interval": "1d"}},
        "DUCK": {"type": "duckdb", "instance": os.path.join(folder, f"{how}.duckdb")},
    }
    plan = {"source": "SES", "target": "DUCK", "streams": {"ses_emails": None}}
    exporting = threading.Event()
    counts: dict[str, int] = {}

    def on_progress(event: ProgressEvent) -> None:
        if isinstance(event, RangePlanned):
            exporting.set()

    def run() -> None:
        sesflow.sync(plan, connections=connections, pipelines_dir=folder, on_progress=on_progress)

    def during() -> None:
        worker = threading.Thread(target=run)
        worker.start()
        exporting.wait(60)
        counts["during"] = burst()
        worker.join()

    if how == "tuned":
        with process_tuning():
            during()
    else:
        during()
    counts["after"] = burst()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
