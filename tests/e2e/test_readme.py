"""Every shell command and Python snippet of README.md runs, so the README cannot rot.

Each ``##`` section runs in its own folder, blocks in order (see ``tests/e2e/readme.py`` for the markers).
Where a snippet talks to SES it talks to the emulator: the environment carries dummy AWS credentials and
``AWS_ENDPOINT_URL`` pointing at an emulator, started in this process for the section unless the section
starts its own ``sesflow emulator``. The README documents port 8005; each section runs on a free port instead
(every ``8005`` in its blocks is replaced), so an emulator a developer keeps on 8005 does not get in the way.
HOME is a fresh folder, so connection files (``~/.sesflow/env.yaml``) never touch the real ones. ``PG_URL``
names a throwaway PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.readme import Block, Section, sections
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
README = Path(os.environ.get("SESFLOW_README", ROOT / "README.md"))  # another file: to try a draft
PORT = 8005  # the port the README documents; replaced by a free one in every block
# `make test` is this test suite: running it from inside the suite would recurse.
NOT_FROM_INSIDE_THE_SUITE = re.compile(r"^\s*make test\b.*$", re.MULTILINE)
EMULATOR_LINE = re.compile(
    r"^(?P<cmd>\s*sesflow\s+(?:--\S+\s+)*emulator\b[^&\n]*?)\s*(?P<bg>&)?\s*$", re.MULTILINE
)
MAKE_LINE = re.compile(r"^(?P<indent>\s*)make ", re.MULTILINE)
HOW_TO = (
    "\n---\nEach README section runs in a fresh folder and HOME, with AWS_ENDPOINT_URL pointing at an"
    " emulator (the documented port 8005 is replaced by a free one) and PG_URL at a test database."
    " Put `<!-- file: PATH -->` (PATH may start with ~/) on the line before a block the commands read"
    " (env.yaml, replication.yaml); put `<!-- norun -->`"
    " before a block that needs a real AWS account. See tests/e2e/readme.py."
)
SECTIONS = [s for s in sections(README) if any(b.runnable for b in s.blocks)]


def _localise(text: str, port: int) -> str:
    """``text`` with the documented port replaced by the section's own."""
    return re.sub(rf"(?<!\d){PORT}(?!\d)", str(port), text)


def _port_of(command: str, default: int) -> int:
    found = re.search(r"--port[ =](\d+)", command)
    return int(found.group(1)) if found else default


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/_sesflow/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the emulator started by the README did not answer on port {port}")


def _starts_emulator(section: Section) -> bool:
    return any(
        b.runnable and b.kind == "shell" and EMULATOR_LINE.search(b.commands()) for b in section.blocks
    )


@contextlib.contextmanager
def _section_emulator(section: Section, port: int) -> Iterator[None]:
    if _starts_emulator(section):
        yield
        return
    from sesflow.emulator import Emulator

    with Emulator(port=port, event_delay_scale=0.0, export_delay=0.5, seed=1):
        yield


@pytest.fixture
def port() -> int:
    """The section's emulator port, in place of the documented 8005."""
    return free_port()


@pytest.fixture
def env(tmp_path: Path, pg_url: str, redis_url: str, port: int) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SESFLOW_", "SLING_"))}
    return {
        **keep,
        "HOME": str(home),
        # dlt keeps pipeline state in /var/dlt when run as root: keep each section's own, or a snippet
        # picks up the state (and the DuckDB path) a previous run left behind.
        "DLT_DATA_DIR": str(home / ".dlt"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "PG_URL": pg_url,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
        "DEMO_DIR": str(tmp_path / "work"),
        "NO_COLOR": "1",
    }


def _run_shell(block: Block, cwd: Path, env: dict[str, str], groups: list[int], port: int) -> None:
    script = _localise(NOT_FROM_INSIDE_THE_SUITE.sub("", block.commands()), port)
    # `make` targets live in the repository; DEMO_DIR (in env) sends their output to the section's folder.
    script = MAKE_LINE.sub(lambda m: f"{m['indent']}make -C {ROOT} ", script)
    ports: list[int] = []

    def background(match: re.Match[str]) -> str:
        ports.append(_port_of(match["cmd"], port))
        return f"{match['cmd'].strip()} > emulator-{ports[-1]}.log 2>&1 &"

    script = EMULATOR_LINE.sub(background, script)
    for started in ports:  # later lines of the block may talk to it already
        script = script.replace(
            f"emulator-{started}.log 2>&1 &",
            f"emulator-{started}.log 2>&1 &\nfor i in $(seq 150); do curl -sf http://127.0.0.1:{started}/_sesflow/health"
            f" >/dev/null && break; sleep 0.2; done",
            1,
        )
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    groups.append(proc.pid)
    try:
        output, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"README.md:{block.line}: the shell block did not finish in 240 s\n{output}")
    assert proc.returncode == 0, (
        f"README.md:{block.line}: exit {proc.returncode}\n{script}\n---\n{output}{HOW_TO}"
    )
    for started in ports:
        _wait_for(started)


def _run_python(block: Block, cwd: Path, env: dict[str, str], port: int) -> None:
    path = cwd / f"readme_line_{block.line}.py"
    path.write_text(_localise(block.text, port), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, path.name],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, (
        f"README.md:{block.line}: exit {done.returncode}\n{block.text}\n---\n"
        f"{done.stdout}{done.stderr}{HOW_TO}"
    )


def _write_file(block: Block, cwd: Path, env: dict[str, str], port: int) -> None:
    assert block.file is not None
    target = Path(env["HOME"], block.file[2:]) if block.file.startswith("~/") else cwd / block.file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_localise(block.text, port), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("section", SECTIONS, ids=[s.slug for s in SECTIONS])
def test_readme_section_runs(section: Section, env: dict[str, str], port: int) -> None:
    work = Path(env["DEMO_DIR"])
    work.mkdir(exist_ok=True)
    groups: list[int] = []
    try:
        with _section_emulator(section, port):
            for block in section.blocks:
                if not block.runnable:
                    continue
                if block.kind == "file":
                    _write_file(block, work, env, port)
                elif block.kind == "shell":
                    _run_shell(block, work, env, groups, port)
                else:
                    _run_python(block, work, env, port)
    finally:
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)


def test_every_norun_block_is_rare() -> None:
    """Most snippets run; the few that cannot are marked on purpose (a real AWS account, the suite itself)."""
    blocks = [b for s in sections(README) for b in s.blocks if b.kind in {"shell", "python"}]
    skipped = [b for b in blocks if b.norun]
    assert blocks, "the README has runnable snippets"
    assert len(skipped) <= max(3, len(blocks) // 4), [b.line for b in skipped]
