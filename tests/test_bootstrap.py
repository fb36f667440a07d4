"""scripts/bootstrap.sh, shared by `make test` and `.ci/run`: checked on a PATH that hides the tools.

The tools are hidden by running the script with a PATH holding only ``id`` (and, where a test says so, an
``apt-get`` stand-in that records its arguments and "installs" by creating the executables it is asked for).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bootstrap.sh"
PACKAGES = "chromium nodejs npm postgresql redis-server"
STAND_IN = """#!/bin/bash
touch={touch}
chmod={chmod}
echo "$*" >> "{log}"
if [ "$1" = install ]; then
  for name in "$@"; do
    case "$name" in
      chromium) $touch "{bin}/chromium"; $chmod +x "{bin}/chromium" ;;
      nodejs) $touch "{bin}/node"; $chmod +x "{bin}/node" ;;
      npm) $touch "{bin}/npm"; $chmod +x "{bin}/npm" ;;
      postgresql) $touch "{bin}/initdb"; $chmod +x "{bin}/initdb" ;;
      redis-server) $touch "{bin}/redis-server"; $chmod +x "{bin}/redis-server" ;;
    esac
  done
fi
"""


def _bin(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    identity = shutil.which("id")
    assert identity
    (folder / "id").symlink_to(identity)
    return folder


def _run(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash
    env = {"PATH": str(folder), "SESFLOW_PG_BIN_GLOB": str(tmp_path / "no-postgres" / "*")}
    return subprocess.run([bash, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_without_the_tools_or_apt_it_stops_at_once_printing_the_command(tmp_path: Path) -> None:
    done = _run(_bin(tmp_path), tmp_path)
    assert done.returncode == 1
    assert f"sudo apt-get update && sudo apt-get install -y --no-install-recommends {PACKAGES}" in done.stderr


def test_it_installs_what_is_missing_with_apt_get(tmp_path: Path) -> None:
    folder = _bin(tmp_path)
    (folder / "node").write_text("")  # Node is there already: not asked for
    (folder / "node").chmod(0o755)
    log = tmp_path / "apt.log"
    apt = folder / "apt-get"
    apt.write_text(
        STAND_IN.format(log=log, bin=folder, touch=shutil.which("touch"), chmod=shutil.which("chmod"))
    )
    apt.chmod(0o755)
    done = _run(folder, tmp_path)
    if os.geteuid() == 0:
        assert done.returncode == 0, done.stderr
        assert log.read_text().splitlines() == [
            "update -qq",
            "install -y -qq --no-install-recommends chromium npm postgresql redis-server",
        ]
    else:  # not root and no sudo: the command to run instead
        assert done.returncode == 1
        assert (
            "apt-get install -y --no-install-recommends chromium npm postgresql redis-server" in done.stderr
        )


def test_with_every_tool_there_it_does_nothing(tmp_path: Path) -> None:
    folder = _bin(tmp_path)
    for name in ("chromium", "node", "npm", "initdb", "redis-server"):
        (folder / name).write_text("")
        (folder / name).chmod(0o755)
    done = _run(folder, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
