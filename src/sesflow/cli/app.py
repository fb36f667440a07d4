"""The root ``sesflow`` command: global options, command group registration and error-to-exit-code mapping.

Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration. Errors print one or two lines
(what is wrong, what to do); a traceback only with ``--debug``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

import typer
from rich.console import Console

from sesflow import __version__
from sesflow.errors import SesflowError

app = typer.Typer(
    name="sesflow",
    help="Compose, send and track email through Amazon SES, or run a local SES emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


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
_COMMAND_MODULES: tuple[str, ...] = ("report", "conns", "run", "emulator", "demo", "send", "campaign")


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"sesflow.cli.{name}")
        module.register(app)


def _report(exc: BaseException, *, debug: bool) -> None:
    if debug:
        _stderr.print(traceback.format_exc(), markup=False, end="")
    if isinstance(exc, SesflowError):
        _stderr.print(f"error: {exc.message}", markup=False)
        if exc.hint:
            _stderr.print(exc.hint, markup=False)
    else:
        _stderr.print(f"error: unexpected {type(exc).__name__}: {exc}", markup=False)
        if not debug:
            _stderr.print("This is a bug in sesflow; rerun with --debug to see the traceback.", markup=False)


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
        _stderr.print("Interrupted.")
        return 130
    except Exception as exc:
        _report(exc, debug=debug)
        return 1
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
