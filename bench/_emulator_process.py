"""``sesflow emulator`` in a process of its own, for the benchmarks that measure against it."""

from __future__ import annotations

import re
import subprocess
import sys


def start_emulator(*flags: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``sesflow emulator --port 0 FLAGS``; return the process and its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sesflow", "emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"http://[\d.]+:\d+", line)
    if not found:
        process.kill()
        raise SystemExit(f"emulator did not start: {line}")
    return process, found.group(0)


def stop(process: subprocess.Popen[str]) -> None:
    """Stop the emulator, killing it if it does not stop within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
