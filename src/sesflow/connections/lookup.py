"""Finding connections by name, as Sling does: environment variable, ``.env.sling``, then env.yaml files.

A connection is looked up by name (case-insensitive), first match wins:

1. an environment variable of that name holding JSON or YAML text, or a database URL
   (``AWS_SES='{type: api, spec: aws_ses, inputs: {region: us-east-1}}'``);
2. ``.env.sling`` in the working directory (``NAME=value`` lines, the value as in 1.);
3. ``~/.sesflow/env.yaml`` (``$SESFLOW_HOME/env.yaml``), then ``~/.sling/env.yaml`` (``$SLING_HOME_DIR``),
   both with a top-level ``connections:`` mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sesflow.connections.parsing import HINT, AnyConnection, decode_value, parse_connection
from sesflow.connections.redaction import secret_values
from sesflow.errors import ConfigError
from sesflow.yamltext import load_yaml

# AWS's own variables: secrets a botocore error could quote although no connection holds them.
_AWS_SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class NamedConnection:
    """A connection with its name and where it was found (``env``, ``.env.sling`` or a file path)."""

    name: str
    origin: str
    settings: Mapping[str, Any] | str

    def parse(self) -> AnyConnection:
        """Validate the settings; a ``ConfigError`` names the connection and the key at fault."""
        return parse_connection(self.name, self.settings, origin=self.origin)


def sesflow_home() -> Path:
    """``$SESFLOW_HOME`` or ``~/.sesflow``: env.yaml and the dlt pipeline folders live here."""
    return Path(os.environ.get("SESFLOW_HOME") or Path.home() / ".sesflow").expanduser()


def sling_home() -> Path:
    """``$SLING_HOME_DIR`` or ``~/.sling``: Sling's env.yaml."""
    return Path(os.environ.get("SLING_HOME_DIR") or Path.home() / ".sling").expanduser()


def env_files() -> list[Path]:
    """The env.yaml files read, first wins: sesflow's, then Sling's."""
    return [sesflow_home() / "env.yaml", sling_home() / "env.yaml"]


def read_env_yaml(path: Path) -> dict[str, Any]:
    """The ``connections`` mapping of an env.yaml file (empty when it has none)."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error(path, exc), hint="Fix the file, or move it aside.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    connections = data.get("connections") if isinstance(data, dict) else None
    if connections is None:
        return {}
    if not isinstance(connections, dict):
        raise ConfigError(f"{path}: connections must be a mapping of NAME: settings")
    return {str(key): value for key, value in connections.items()}


def yaml_error(path: Path | str, exc: Exception) -> str:
    """A YAML error as one line: ``FILE:LINE:COLUMN: not valid YAML: PROBLEM``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: not valid YAML: {problem}"


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a ``.env.sling`` file (``export`` and quotes allowed, ``#`` comments)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _looks_like_connection(text: str) -> bool:
    stripped = text.lstrip()
    if stripped[:1] == "{" or stripped.startswith("type:"):
        return True
    scheme = stripped.split("://", 1)[0].lower() if "://" in stripped else ""
    return scheme in (
        "postgres",
        "postgresql",
        "duckdb",
        "sqlite",
        "snowflake",
        "redshift",
        "mysql",
        "clickhouse",
    )


def all_connections(cwd: Path | None = None) -> list[NamedConnection]:
    """Every connection found, each name once (the first source wins), sorted by name."""
    found: dict[str, NamedConnection] = {}

    def add(name: str, origin: str, settings: Any) -> None:
        if name.upper() not in found:
            found[name.upper()] = NamedConnection(name, origin, settings)

    for key, text in os.environ.items():
        if _looks_like_connection(text):
            try:
                value = decode_value(key, text, "env")
            except ConfigError:
                continue
            if isinstance(value, str) or "type" in value:
                add(key, "env", value)
    dotenv = (cwd or Path.cwd()) / ".env.sling"
    if dotenv.is_file():
        for key, text in read_dotenv(dotenv).items():
            add(key, ".env.sling", decode_value(key, text, ".env.sling"))
    for path in env_files():
        if path.is_file():
            for key, value in read_env_yaml(path).items():
                add(key, str(path), value)
    return sorted(found.values(), key=lambda item: item.name.upper())


def find_connection(name: str, cwd: Path | None = None) -> NamedConnection:
    """The connection called ``name`` (case-insensitive); ``ConfigError`` when none is defined."""
    for key in (name, name.upper()):
        text = os.environ.get(key)
        if text:
            return NamedConnection(name, "env", decode_value(name, text, f"environment variable {key}"))
    dotenv = (cwd or Path.cwd()) / ".env.sling"
    if dotenv.is_file():
        for key, text in read_dotenv(dotenv).items():
            if key.upper() == name.upper():
                return NamedConnection(name, ".env.sling", decode_value(name, text, ".env.sling"))
    for path in env_files():
        if path.is_file():
            for key, value in read_env_yaml(path).items():
                if key.upper() == name.upper():
                    if not isinstance(value, Mapping | str):
                        raise ConfigError(
                            f"connection {name} ({path}): expected a mapping with a type key", hint=HINT
                        )
                    return NamedConnection(key, str(path), value)
    raise ConfigError(
        f"connection {name!r} is not defined",
        hint=f"Define it with `sesflow conns set {name} type=...`, in an environment variable "
        f"{name.upper()}, in .env.sling or in {env_files()[0]}.",
    )


def get_connection(name: str, cwd: Path | None = None) -> AnyConnection:
    """Find and validate the connection called ``name``."""
    return find_connection(name, cwd).parse()


def known_secrets(cwd: Path | None = None) -> list[str]:
    """Every secret value configured on this machine (connections found anywhere, AWS's variables).

    Read leniently: a file that does not parse is read as text for what it holds, so an error about that
    very file still cannot print a secret from it.
    """
    found = [os.environ[name] for name in _AWS_SECRET_VARIABLES if os.environ.get(name)]
    for text in os.environ.values():
        if _looks_like_connection(text):
            found += _secrets_in_text(text)
    dotenv = (cwd or Path.cwd()) / ".env.sling"
    files = [dotenv, *env_files()]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.name == ".env.sling":
            for value in read_dotenv(path).values():
                found += _secrets_in_text(value)
        else:
            found += _secrets_in_text(text)
    return found


def _secrets_in_text(text: str) -> list[str]:
    try:
        value = load_yaml(text)
    except yaml.YAMLError:
        value = None
    found = secret_values(text)
    if isinstance(value, Mapping):
        found += secret_values(_decoded(value))
    return found


def _decoded(value: Any) -> Any:
    """``value`` with YAML text inside it (Sling's stored mappings) decoded, for finding secrets."""
    if isinstance(value, Mapping):
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            inner = load_yaml(value)
        except yaml.YAMLError:
            return value
        return _decoded(inner) if isinstance(inner, Mapping) else value
    return value


__all__ = [
    "NamedConnection",
    "all_connections",
    "env_files",
    "find_connection",
    "get_connection",
    "known_secrets",
    "read_dotenv",
    "read_env_yaml",
    "sesflow_home",
    "sling_home",
    "yaml_error",
]
