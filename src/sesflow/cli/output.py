"""How the command line prints: for people on a terminal, and for logs when stdout/stderr is not one.

- No wrapping outside a terminal: a line in a log file is one line, however long (Rich would wrap at 80).
- One number format everywhere: ``number(n)`` writes thousands separators (``184,889``).
- Tables without colour codes outside a terminal (Rich's own rule).
"""

from __future__ import annotations

import sys
from functools import cache

from rich.console import Console
from rich.table import Table

# Wide enough that nothing a command prints is wrapped or folded when the output is a file or a pipe.
_LOG_WIDTH = 10_000


@cache
def _console(stderr: bool, is_terminal: bool) -> Console:
    width = None if is_terminal else _LOG_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def console(*, stderr: bool = False) -> Console:
    """The console for stdout (or stderr): wrapping only on a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return _console(stderr, bool(getattr(stream, "isatty", lambda: False)()))


def table(*columns: str) -> Table:
    """A table with these column headers, whose cells are never folded outside a terminal."""
    listing = Table(*columns)
    for column in listing.columns:
        column.overflow = "fold"
    return listing


def number(value: float) -> str:
    """A count or rate as every command writes it: thousands separators, no decimals."""
    return f"{value:,.0f}"


__all__ = ["console", "number", "table"]
