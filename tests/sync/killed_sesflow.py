"""``sesflow`` killing itself with SIGKILL at an exact point of its first dlt load, for the crash tests.

    python killed_sesflow.py BATCH_ROWS POINT sesflow-arguments...

BATCH_ROWS: messages per dlt run (0 keeps sesflow's own). POINT: ``none``; ``before-load:N`` (the N-th batch
is extracted and normalised, nothing of it is loaded); ``after-copy:N`` (the N-th file dlt copies is in the
target, or in its staging table, and dlt has not marked it done, so a resumed load copies it again).
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from typing import Any


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    batch_rows, point, *arguments = sys.argv[1:]
    import sesflow.sync.messages as messages

    if int(batch_rows):
        messages.BATCH_ROWS = int(batch_rows)
    where, _, nth = point.partition(":")
    calls = [0]

    def count() -> bool:
        calls[0] += 1
        return calls[0] == int(nth)

    if where == "before-load":
        from dlt.pipeline.pipeline import Pipeline

        load = Pipeline.load

        def die_before_load(self: Any, *args: Any, **kwargs: Any) -> Any:
            if count():
                _die()
            return load(self, *args, **kwargs)

        Pipeline.load = die_before_load  # type: ignore[method-assign]
    elif where == "after-copy":
        from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

        copy = DuckDbCopyJob.run

        def die_after_copy(self: DuckDbCopyJob) -> None:
            copy(self)
            if count():
                _die()

        DuckDbCopyJob.run = die_after_copy  # type: ignore[method-assign]
    elif point != "none":
        raise SystemExit(f"unknown kill point {point!r}")
    sys.argv = ["sesflow", *arguments]
    runpy.run_module("sesflow", run_name="__main__")


if __name__ == "__main__":
    main()
