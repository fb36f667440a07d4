"""Run sesflow as a core install would: the packages of the optional extras cannot be imported.

``block()`` puts an import hook first on ``sys.meta_path`` that refuses every top-level module an extra
brings (and starlette, which no part of sesflow may use), the way a missing package fails: with
``ModuleNotFoundError``. Each refused name is recorded in ``REFUSED``. Used by ``tests/test_packaging.py``
in a fresh interpreter (``python -c``), so the real import graph runs.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

from sesflow.extras import EXTRAS

BLOCKED = frozenset(name for modules in EXTRAS.values() for name in modules) | {"starlette"}
REFUSED: list[str] = []


class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if fullname.split(".")[0] in BLOCKED:
            REFUSED.append(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def block() -> None:
    """Refuse the optional packages from now on in this interpreter (it must not have imported any)."""
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
    if loaded:
        raise RuntimeError(f"optional packages already imported: {loaded}")
    sys.meta_path.insert(0, _Refuse())


def optional_loaded() -> list[str]:
    """The optional top-level packages present in ``sys.modules``."""
    return sorted({name.split(".")[0] for name in sys.modules} & BLOCKED)
