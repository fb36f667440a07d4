"""The optional parts of sesflow: which packages each pip extra brings, and the error when one is missing.

``pip install sesflow`` is compose + send + the command line. The sync, PostgreSQL, the emulator, the shared
Redis limiter, Celery and Django each come with an extra (``pip install 'sesflow[emulator]'``). Code that
needs one imports it under ``optional_imports(extra)``, which turns the ``ModuleNotFoundError`` of a missing
optional package into a ``MissingExtraError`` naming the pip command; the command line maps the rest
(``missing_extra``) the same way, to exit code 2.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

from sesflow.errors import MissingExtraError

EXTRAS: dict[str, tuple[str, ...]] = {
    "sync": ("dlt", "duckdb", "pyarrow", "orjson", "adbc_driver_postgresql", "adbc_driver_manager"),
    "postgres": ("psycopg", "psycopg2"),
    "emulator": ("uvicorn", "httptools", "orjson"),
    "redis": ("redis",),
    "celery": ("celery", "kombu", "billiard", "vine"),
    "django": ("django",),
}
"""Extra name -> the top-level modules of the packages it installs that sesflow imports."""


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a parent package that is missing, or a blocked import
        return True


def missing_extra(error: ModuleNotFoundError, extra: str | None = None) -> MissingExtraError | None:
    """The ``MissingExtraError`` for ``error`` when it is about a package of an extra that is not installed.

    ``extra`` names the extra the failing code belongs to (some packages are in several extras); None
    picks the first extra that lists the package. A module missing *inside* an installed package (a version
    mismatch, not a missing extra) gives None.
    """
    top = (error.name or "").split(".")[0]
    if not top or not _absent(top):
        return None
    if extra is None or top not in EXTRAS.get(extra, ()):
        extra = next((name for name, modules in EXTRAS.items() if top in modules), None)
    if extra is None:
        return None
    return MissingExtraError(
        f"the optional package {top!r} is not installed: pip install 'sesflow[{extra}]'",
        extra=extra,
        package=top,
    )


@contextlib.contextmanager
def optional_imports(extra: str) -> Iterator[None]:
    """Import the packages of ``extra`` inside this block; a missing one raises ``MissingExtraError``."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    try:
        yield
    except ModuleNotFoundError as error:
        found = missing_extra(error, extra)
        if found is None:
            raise
        raise found from None


__all__ = ["EXTRAS", "missing_extra", "optional_imports"]
