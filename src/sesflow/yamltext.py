"""YAML as sesflow reads its configuration: PyYAML's safe loader, except for dates it cannot build.

PyYAML turns an unquoted ``2026-10-01`` into a date, and raises a bare ``ValueError`` on one that has the
shape of a date but is none (``2026-13-45``, ``2026-02-30``). Here such a value stays text, so the validator
of the key that holds it names the key and says what to write.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose impossible dates stay text."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with impossible dates kept as text; raises ``yaml.YAMLError`` as it does."""
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no Python objects


__all__ = ["load_yaml"]
