"""Writing env.yaml as ``sling conns set`` / ``sling conns unset`` do, keeping the file's comments and order.

``set_connection(name, {"type": "api", "inputs": "{ region: us-east-1 }", ...})`` reads each value as YAML,
as Sling does (so ``inputs='{ region: us-east-1 }'`` is a mapping), validates the result, and writes it into
the env.yaml that already defines the connection (sesflow's or Sling's), else into ``~/.sesflow/env.yaml``.
The file is edited in place with ruamel.yaml: comments, blank lines, key order and everything else in it
stay as they were; the name is written in capitals, as Sling writes it.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sesflow.connections.aws import AwsSecrets
from sesflow.connections.lookup import env_files, yaml_error
from sesflow.connections.parsing import HINT, parse_connection
from sesflow.errors import ConfigError
from sesflow.yamltext import load_yaml

# Sling refuses an empty name and one starting with "$" (a variable to expand); a name also has to fit an
# environment variable's name and a .env.sling line, which rules out blanks, "=", "#" and quotes.
_NAME = re.compile(r"[^\W][\w.\-]*", re.UNICODE)
# Values read as YAML structures (Sling keeps such text and parses it when it reads the file).
_STRUCTURED = ("{", "[")


def check_name(name: str) -> str:
    """``name`` in capitals, as Sling stores it; ``ConfigError`` for a name Sling (or a shell) cannot use."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"connection name {name!r}: use letters, digits, _ . and - (starting with a letter or digit)",
            hint="For example: sesflow conns set MY_PG type=postgres url=postgresql://...",
        )
    return name.upper()


def settings_from_pairs(values: Mapping[str, str]) -> dict[str, Any]:
    """Settings from ``key=value`` pairs: dotted keys nest; ``{...}``/``[...]`` values are YAML.

    For ``type=api`` the keys Sling puts under ``inputs`` and ``secrets`` may also be given bare
    (``region=us-east-1 access_key_id=...``).
    """
    settings: dict[str, Any] = {}
    api = values.get("type") == "api"
    for key, raw in values.items():
        value: Any = raw
        if raw.lstrip().startswith(_STRUCTURED):
            try:
                value = load_yaml(raw)
            except Exception:
                raise ConfigError(f"{key}: not a YAML mapping or list", hint=HINT) from None
        if api and "." not in key and key not in ("type", "spec", "inputs", "secrets"):
            key = ("secrets." if key in AwsSecrets.model_fields else "inputs.") + key
        target = settings
        *parents, last = key.split(".")
        for part in parents:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{key}: {part} is given both as a value and as a mapping")
            target = child
        if isinstance(target.get(last), dict) and isinstance(value, dict):
            target[last].update(value)
        else:
            target[last] = value
    return settings


def set_connection(name: str, values: Mapping[str, str]) -> Path:
    """Write (or replace) ``name`` from ``key=value`` pairs; return the file written."""
    key = check_name(name)
    settings = settings_from_pairs(values)
    parse_connection(key, settings, origin="conns set")
    path = _file_holding(key) or env_files()[0]
    document, connections = _load(path)
    existing = _key_in(connections, key)
    value = _commented(settings)
    if existing is not None:
        _keep_trailing_comment(connections[existing], value)
        position = list(connections).index(existing)
        del connections[existing]
        connections.insert(position, key, value)
    else:
        connections[key] = value
    _save(path, document)
    return path


def _commented(settings: Mapping[str, Any]) -> Any:
    """``settings`` as ruamel's mapping type (block style), nested mappings too."""
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for key, value in settings.items():
        out[key] = _commented(value) if isinstance(value, Mapping) else value
    return out


def _keep_trailing_comment(old: Any, new: Any) -> None:
    """Move what follows ``old``'s last line (blank lines, comments before the next entry) to ``new``."""
    from ruamel.yaml.comments import CommentedMap

    while isinstance(old, CommentedMap) and isinstance(new, CommentedMap) and old and new:
        last_old, last_new = list(old)[-1], list(new)[-1]
        trailing = old.ca.items.get(last_old)
        if trailing is not None and len(trailing) > 2 and trailing[2] is not None:
            new.ca.items[last_new] = [None, None, trailing[2], None]
            return
        old, new = old[last_old], new[last_new]


def unset_connection(name: str) -> list[Path]:
    """Remove ``name`` from every env.yaml defining it; return those files (``ConfigError`` if none)."""
    removed = []
    for path in env_files():
        if not path.is_file():
            continue
        document, connections = _load(path)
        existing = _key_in(connections, name)
        if existing is not None:
            del connections[existing]
            _save(path, document)
            removed.append(path)
    if not removed:
        raise ConfigError(
            f"connection {name!r} is in no env.yaml ({', '.join(str(p) for p in env_files())})",
            hint="An environment variable or a .env.sling line is removed where it is set.",
        )
    return removed


def _yaml() -> Any:
    from ruamel.yaml import YAML

    handler = YAML()  # round trip: comments, order and quoting stay as they were
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.width = 4096
    handler.preserve_quotes = True
    return handler


def _load(path: Path) -> tuple[Any, Any]:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    document: Any = CommentedMap()
    if path.is_file():
        try:
            document = _yaml().load(path.read_text(encoding="utf-8")) or CommentedMap()
        except YAMLError as exc:
            raise ConfigError(
                yaml_error(path, exc), hint="Fix the file, then run the command again."
            ) from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with a connections key")
    if document.get("connections") is None:
        document["connections"] = CommentedMap()
    if not isinstance(document["connections"], dict):
        raise ConfigError(f"{path}: connections must be a mapping of NAME: settings")
    return document, document["connections"]


def _save(path: Path, document: Any) -> None:
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.chmod(tmp, 0o600)  # it holds secrets
    tmp.replace(path)


def _key_in(connections: Mapping[str, Any], name: str) -> str | None:
    for key in connections:
        if str(key).upper() == name.upper():
            return str(key)
    return None


def _file_holding(name: str) -> Path | None:
    for path in env_files():
        if path.is_file():
            _, connections = _load(path)
            if _key_in(connections, name) is not None:
                return path
    return None


__all__ = ["check_name", "set_connection", "settings_from_pairs", "unset_connection"]
