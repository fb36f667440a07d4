"""Packaging: the core (compose + send + CLI) imports no package of an optional extra, a missing extra is a
one-line error naming its pip command, and every declared dependency is one sesflow uses.

Each check runs in a fresh interpreter where the extras' packages cannot be imported
(``tests/without_extras.py``), so the real import graph runs, as on ``pip install sesflow``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sesflow.extras import EXTRAS
from tests.emulator_process import EmulatorProcess, emulator_process

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "sesflow"
CORE_PACKAGES = ("sesflow.mime", "sesflow.send", "sesflow.cli")
# Top-level modules that are an extra's integration: importing them without it is a MissingExtraError.
INTEGRATIONS = {"sesflow.celery": "celery", "sesflow.django": "django", "sesflow.django_settings": "django"}


def core_modules() -> list[str]:
    """The core: the top-level modules but the integrations, and the modules of mime/, send/ and cli/."""
    names = [f"sesflow.{m.name}" for m in pkgutil.iter_modules([str(SRC)]) if not m.ispkg]
    names.remove("sesflow.__main__")  # runs the command line when imported
    names = [name for name in names if name not in INTEGRATIONS]
    for package in CORE_PACKAGES:
        folder = SRC / package.split(".")[1]
        names += [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(folder)])]
    return sorted(names)


def without_extras(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that cannot import any optional package (``env`` added)."""
    script = "from tests.without_extras import block, optional_loaded, REFUSED\nblock()\n" + textwrap.dedent(
        code
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDCORE", "AWS_SECRET_ACCESS_KEY": "core-secret", **env}
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def run_cli(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``sesflow ARGV`` in an interpreter without the extras; prints the optional packages it loaded last."""
    return without_extras(
        """
        import sys
        from sesflow.cli.app import run
        code = run(sys.argv[1:])
        print("LOADED=" + ",".join(optional_loaded()))
        sys.exit(code)
        """,
        *argv,
        **env,
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_process("--max-send-rate", "1000") as ses:
        yield ses


def test_every_core_module_imports_without_any_optional_package() -> None:
    modules = core_modules() + sorted(INTEGRATIONS)
    done = without_extras(
        """
        import importlib, json, sys
        from sesflow.errors import MissingExtraError
        outcome = {}
        for name in sys.argv[1:]:
            try:
                importlib.import_module(name)
                outcome[name] = "ok"
            except MissingExtraError as error:
                outcome[name] = "needs " + error.extra
        print(json.dumps({"outcome": outcome, "loaded": optional_loaded(), "refused": REFUSED}))
        """,
        *modules,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["loaded"] == []
    expected = {name: f"needs {INTEGRATIONS[name]}" if name in INTEGRATIONS else "ok" for name in modules}
    assert report["outcome"] == expected, report["refused"]


def test_send_help_loads_no_optional_package() -> None:
    done = run_cli("send", "--help")
    assert done.returncode == 0, done.stderr
    assert "--endpoint-url" in done.stdout
    assert done.stdout.rstrip().endswith("LOADED=")


def test_a_core_install_sends_a_message(emulator: EmulatorProcess, tmp_path: Path) -> None:
    attachment = tmp_path / "terms.txt"
    attachment.write_text("the terms")
    done = run_cli(
        "send", "--from", "shop@example.com", "--to", "core@example.com", "--subject", "Core only",
        "--text", "No extras needed.", "--attach", str(attachment), "--rate", "auto",
        "--endpoint-url", emulator.url, "--region", "us-east-1", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("LOADED=")
    result = json.loads(done.stdout.rsplit("LOADED=", 1)[0])
    assert result["status"] == "sent"
    [stored] = emulator.messages("core@example.com")
    assert stored["Subject"] == "Core only"
    [part] = emulator.parsed(stored["MessageId"]).iter_attachments()
    assert part.get_content() == "the terms"


# With SESFLOW_REDIS_URL set (see the test), a send shares its rate through Redis: that needs the redis extra.
SEND_SHARED_RATE = [
    "send", "--from", "a@example.com", "--to", "b@example.com", "--subject", "s", "--text", "t",
    "--rate", "5", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["emulator", "--port", "0"], "emulator"),
        (["report", "--target", "{tmp}/none.duckdb", "--out", "{tmp}/r.html"], "sync"),
        (["report", "--target", "postgresql://127.0.0.1:9/nothing", "--out", "{tmp}/r.html"], "postgres"),
        (SEND_SHARED_RATE, "redis"),
    ],
    ids=["emulator", "report-duckdb", "report-postgres", "send-shared-rate"],
)
def test_a_command_whose_extra_is_missing_exits_2_naming_the_pip_command(
    argv: list[str], extra: str, tmp_path: Path
) -> None:
    done = run_cli(*[arg.format(tmp=tmp_path) for arg in argv], SESFLOW_REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: the optional package ")
    assert lines[0].endswith(f"pip install 'sesflow[{extra}]'")


@pytest.mark.parametrize(
    ("statement", "extra"),
    [
        ("from sesflow.emulator import Emulator", "emulator"),
        ("from sesflow import sync", "sync"),
        ("from sesflow.insights import sync", "sync"),
        ("import sesflow.sync; sesflow.sync('replication.yaml')", "sync"),
        ("import sesflow.celery", "celery"),
        ("import sesflow.django", "django"),
        (
            "from sesflow import Mailer; Mailer(rate=5, redis_url='redis://127.0.0.1:9', region='eu-west-1')",
            "redis",
        ),
    ],
)
def test_a_library_import_whose_extra_is_missing_raises_an_import_error_naming_the_pip_command(
    statement: str, extra: str
) -> None:
    done = without_extras(
        f"""
        from sesflow.errors import MissingExtraError
        try:
            {statement}
        except MissingExtraError as error:
            assert isinstance(error, ImportError)
            print(error.extra, "|", error)
        """
    )
    assert done.returncode == 0, done.stderr
    name, message = done.stdout.strip().split(" | ")
    assert name == extra
    assert message.endswith(f"pip install 'sesflow[{extra}]'")
    assert "\n" not in message


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0]


def _imported_names() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", path.read_text(), re.MULTILINE))
    return found


# Packages sesflow declares for another package's sake, never importing them itself.
USED_THROUGH_ANOTHER = {
    "psycopg2-binary": "dlt's PostgreSQL loader imports psycopg2",
    "httptools": "the emulator runs uvicorn's httptools protocol (uvicorn.protocols.http.httptools_impl)",
    "sqlalchemy": "dlt's sqlalchemy destination loads the SQLite and MySQL targets",
}


def test_every_declared_runtime_dependency_is_imported_by_sesflow() -> None:
    requirements = importlib.metadata.requires("sesflow") or []
    runtime = [r for r in requirements if not re.search(r"extra == .test.", r)]
    names = {_requirement_name(r) for r in runtime} - {"sesflow"} - set(USED_THROUGH_ANOTHER)
    providers = importlib.metadata.packages_distributions()
    imported = _imported_names()
    unused = []
    for name in sorted(names):
        wanted = canonicalize_name(name)
        modules = {m for m, dists in providers.items() if wanted in {canonicalize_name(d) for d in dists}}
        if not modules & imported:
            unused.append(name)
    assert unused == []


def closure(requirements: list[str], extras: frozenset[str] = frozenset()) -> set[str]:
    """The distributions (normalised names) that installing ``requirements`` brings, transitively."""
    found: set[str] = set()
    todo = [(Requirement(r), extras) for r in requirements]
    while todo:
        requirement, active = todo.pop()
        if requirement.marker and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in (active or {""})
        ):
            continue
        name = canonicalize_name(requirement.name)
        key = name + "[" + ",".join(sorted(requirement.extras)) + "]"
        if key in found:
            continue
        found.add(key)
        todo += [
            (Requirement(r), frozenset(requirement.extras)) for r in importlib.metadata.requires(name) or []
        ]
    return {key.split("[")[0] for key in found}


def extra_requirements(extra: str | None) -> list[str]:
    """The requirements sesflow declares for ``extra`` (None: the core), markers stripped."""
    out = []
    for line in importlib.metadata.requires("sesflow") or []:
        requirement = Requirement(line)
        wanted = extra is None and requirement.marker is None
        if extra is not None and requirement.marker is not None:
            wanted = requirement.marker.evaluate({"extra": extra})
        if wanted:
            requirement.marker = None
            out.append(str(requirement))
    return out


def distributions_of(module: str) -> set[str]:
    return {canonicalize_name(d) for d in importlib.metadata.packages_distributions().get(module, [])}


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_installs_every_package_sesflow_imports_for_it(extra: str) -> None:
    brought = closure(extra_requirements(extra))
    for module in EXTRAS[extra]:
        assert distributions_of(module) & brought, f"sesflow[{extra}] does not install {module}"


def test_the_all_extra_is_every_extra() -> None:
    every = {line for extra in EXTRAS for line in extra_requirements(extra)}
    assert set(extra_requirements("all")) == every


def test_the_core_imports_only_what_the_core_requirements_install() -> None:
    done = without_extras(
        """
        import importlib, sys
        for name in sys.argv[1:]:
            importlib.import_module(name)
        from sesflow.cli.app import run
        run(["send", "--help"])
        top = {n.split(".")[0] for n in sys.modules} - set(sys.stdlib_module_names)
        print("TOP=" + ",".join(sorted(top)))
        """,
        *core_modules(),
    )
    assert done.returncode == 0, done.stderr
    top = done.stdout.rsplit("TOP=", 1)[1].strip().split(",")
    brought = closure(extra_requirements(None)) | {"sesflow"}
    outside = {m: distributions_of(m) for m in top if not m.startswith("_") and m != "tests"}
    outside = {m: d for m, d in outside.items() if d and not d & brought}
    assert outside == {}
