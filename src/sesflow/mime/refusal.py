"""How a refusal shows the value at fault: its repr, shortened so a 5 MB value cannot flood an error."""

from __future__ import annotations

__all__ = ["show"]

_MAX = 100


def show(value: object) -> str:
    """``repr(value)``, cut to about 100 characters with the full length noted."""
    text = repr(value)
    if len(text) <= _MAX:
        return text
    return f"{text[: _MAX - 20]}... ({len(text)} characters)"
