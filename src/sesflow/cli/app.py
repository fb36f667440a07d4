"""The root ``sesflow`` command: global options, command group registration and error-to-exit-code mapping.

Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration. Errors print one or two lines
(what is wrong, what to do); a traceback only with ``--debug``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import Any, get_args

import typer

from sesflow import __version__
from sesflow.cli.output import console
from sesflow.errors import SesflowError
from sesflow.extras import missing_extra

app = typer.Typer(
    name="sesflow",
    help="Compose, send and track email through Amazon SES, or run a local SES emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sesflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Compose, send and track email through Amazon SES, or run a local SES emulator."""


# Each command group lives in its own module ``sesflow.cli.<name>`` with a ``register(app)`` function.
# Only groups that work are listed here.
_COMMAND_MODULES: tuple[str, ...] = (
    "report",
    "conns",
    "run",
    "emulator",
    "demo",
    "send",
    "templates",
    "campaign",
)


_TYPE_NAMES: dict[Any, str] = {str: "TEXT", int: "INTEGER", float: "FLOAT"}


def _click_style_types() -> None:
    """Help names the kind of value an option takes (TEXT, INTEGER, PATH) as click does.

    Typer 0.29 prints the Python annotation instead (``<list[str]>``, ``<bool>`` beside a flag), which tells a
    user of the command line nothing. A command's own ``metavar`` still wins; a flag shows none.
    """
    from typer import core

    def display_type(self: Any, ctx: Any) -> str | None:
        if isinstance(self, core.TyperArgument):
            return None  # its name (upper case) already says what to give
        if self.metavar is not None:
            return str(self.metavar)
        desc = self.type_descriptor
        annotation = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
        if annotation is bool:
            return None
        if desc.is_choice and desc.choices:
            return "[" + "|".join(str(choice) for choice in desc.choices) + "]"
        if desc.is_path:
            return "PATH"
        return _TYPE_NAMES.get(annotation, "VALUE")

    setattr(core._TyperParameter, "display_type", display_type)  # noqa: B010 - replaces Typer's own


def _register_commands() -> None:
    _click_style_types()
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"sesflow.cli.{name}")
        module.register(app)


def _secrets() -> list[str]:
    """The secrets configured on this machine, which no error output may show (see ``redaction``)."""
    from sesflow.connections import known_secrets

    try:
        return known_secrets()
    except Exception:  # a file that cannot be read holds nothing this process could print
        return []


def _report(exc: BaseException, *, debug: bool) -> None:
    """Print ``exc`` (and, with ``--debug``, its traceback), every line scrubbed of secrets."""
    from sesflow.connections import scrub

    secrets = _secrets()
    lines: list[str] = []
    if debug:
        lines.append(traceback.format_exc().rstrip("\n"))
    if isinstance(exc, SesflowError):
        lines.append(f"error: {exc.message}")
        if exc.hint:
            lines.append(exc.hint)
    else:
        lines.append(f"error: unexpected {type(exc).__name__}: {exc}")
        if not debug:
            lines.append("This is a bug in sesflow; rerun with --debug to see the traceback.")
    err = console(stderr=True)
    for line in lines:
        err.print(scrub(line, secrets), markup=False)


def _as_config_error(exc: BaseException) -> SesflowError | None:
    """Errors of libraries that are configuration errors (exit 2): no AWS credentials, for one."""
    try:
        from botocore.exceptions import NoCredentialsError
    except ImportError:  # botocore is not installed: no such error can have been raised
        return None
    if isinstance(exc, NoCredentialsError):
        from sesflow.connections import no_credentials

        return no_credentials()
    return None


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    _register_commands()
    try:
        # Standalone mode: Typer prints its own message for usage errors (exit 2) and handles --help.
        app(args=args, prog_name="sesflow")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except SesflowError as exc:
        _report(exc, debug=debug)
        return exc.exit_code
    except KeyboardInterrupt:
        console(stderr=True).print("Interrupted.", markup=False)
        return 130
    except ModuleNotFoundError as exc:
        # An optional package imported deep inside a command: name the extra to install, exit 2.
        found = missing_extra(exc)
        _report(exc if found is None else found, debug=debug)
        return 1 if found is None else found.exit_code
    except Exception as exc:
        known = _as_config_error(exc)
        _report(known or exc, debug=debug)
        return known.exit_code if known else 1
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
