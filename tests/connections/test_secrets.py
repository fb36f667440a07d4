"""No secret in any output: every error and listing path, with and without --debug, shows configuration
redacted (secret keys, tokens, private keys, URL passwords)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesflow.cli.app import run as cli
from sesflow.connections import redact, redact_text, scrub

SECRET = "TOPSECRET999"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty homes and working directory; no AWS credentials of the machine."""
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "sesflow-home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling-home"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rep.yaml").write_text("source: SES\ntarget: DB\nstreams:\n  ses_emails:\n")
    yield tmp_path


def _ses(**overrides: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "type": "api",
        "spec": "aws_ses",
        "inputs": {"region": "us-east-1"},
        "secrets": {"access_key_id": "AKIA" + SECRET, "secret_access_key": SECRET, "session_token": SECRET},
    }
    settings.update(overrides)
    return settings


# name -> (environment: connection settings as text, the command that shows the error)
CASES: dict[str, tuple[dict[str, str], list[str]]] = {
    "mistyped type": ({"SES": json.dumps(_ses(type="apii"))}, ["conns", "test", "SES"]),
    "mistyped type in run": (
        {"SES": json.dumps(_ses(type="apii")), "DB": "duckdb://x.duckdb"},
        ["run", "-r", "rep.yaml"],
    ),
    "unknown key beside secrets": ({"SES": json.dumps(_ses(colour="blue"))}, ["conns", "test", "SES"]),
    "secret of the wrong type": (
        {"SES": json.dumps(_ses(secrets={"secret_access_key": [SECRET]}))},
        ["conns", "test", "SES"],
    ),
    "secrets as Sling's text that does not parse": (
        {"SES": json.dumps(_ses(secrets=f"{{ secret_access_key: {SECRET}, [ }}"))},
        ["conns", "test", "SES"],
    ),
    "bad inputs as Sling's text beside secrets": (
        {
            "SES": json.dumps(
                _ses(inputs="{ region: us east 1 }", secrets=f"{{ secret_access_key: {SECRET} }}")
            )
        },
        ["conns", "test", "SES"],
    ),
    "url of an unknown scheme": ({"WH": f"snowfake://loader:{SECRET}@acct/db"}, ["conns", "test", "WH"]),
    "postgres unreachable": (
        {"PG": f"postgresql://loader:{SECRET}@127.0.0.1:1/db"},
        ["conns", "test", "PG"],
    ),
    "postgres unreachable in exec": (
        {"PG": f"postgresql://loader:{SECRET}@127.0.0.1:1/db"},
        ["conns", "exec", "PG", "select 1"],
    ),
    "postgres key error": (
        {"PG": json.dumps({"type": "postgres", "host": "h", "password": SECRET, "port": "not-a-port"})},
        ["conns", "test", "PG"],
    ),
    "snowflake missing keys": (
        {"WH": json.dumps({"type": "snowflake", "account": "a", "password": SECRET, "private_key": SECRET})},
        ["conns", "test", "WH"],
    ),
    "report target unreachable": ({}, ["report", "--target", f"postgresql://u:{SECRET}@127.0.0.1:1/db"]),
    "run into an unreachable target": (
        {"SES": json.dumps(_ses()), "DB": f"postgresql://loader:{SECRET}@127.0.0.1:1/db"},
        ["run", "-r", "rep.yaml"],
    ),
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("case", list(CASES))
def test_no_error_path_prints_a_secret(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
    debug: bool,
) -> None:
    environment, command = CASES[case]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code = cli((["--debug"] if debug else []) + command)
    out, err = capsys.readouterr()
    assert code in (1, 2), err
    assert err.strip(), "the error is shown"
    assert SECRET not in out + err


def test_conns_set_refusing_settings_prints_no_secret(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://loader:{SECRET}@db.example/app"
    assert cli(["--debug", "conns", "set", "PG", "type=postgres", f"url={url}", "port=x"]) == 2
    out, err = capsys.readouterr()
    assert "port" in err and SECRET not in out + err


def test_conns_set_prints_no_secret(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = f"secrets={{ secret_access_key: {SECRET} }}"
    assert (
        cli(["conns", "set", "SES", "type=api", "spec=aws_ses", secrets, "inputs={ region: us-east-1 }"]) == 0
    )
    assert SECRET not in "".join(capsys.readouterr())


def test_a_yaml_error_in_env_yaml_prints_no_secret(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = home / "sesflow-home"
    folder.mkdir()
    (folder / "env.yaml").write_text(f"connections:\n  PG:\n    password: {SECRET}\n    url: [unclosed\n")
    assert cli(["--debug", "conns", "test", "PG"]) == 2
    out, err = capsys.readouterr()
    assert "env.yaml:" in err and SECRET not in out + err


def test_conns_list_redacts_every_kind_of_secret(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SES", json.dumps(_ses(secrets=f"{{ secret_access_key: {SECRET} }}")))
    monkeypatch.setenv("WH", json.dumps({"type": "snowflake", "url": f"snowflake://u:{SECRET}@acct/db"}))
    monkeypatch.setenv("BQ", json.dumps({"type": "bigquery", "project": "p", "key_body": SECRET}))
    monkeypatch.setenv("MD", json.dumps({"type": "motherduck", "database": "d", "motherduck_token": SECRET}))
    for as_json in ([], ["--json"]):
        assert cli(["conns", "list", *as_json]) == 0
        out = capsys.readouterr().out
        assert "SES" in out and "WH" in out and SECRET not in out


def test_an_unexpected_error_quoting_a_configured_secret_is_scrubbed(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last line of defence: any text the CLI prints about an error loses the secrets configured."""
    from sesflow.cli import app as cli_app

    monkeypatch.setenv("SES", json.dumps(_ses()))

    @cli_app.app.command("leak-for-test")
    def _leak() -> None:
        raise RuntimeError(f"driver said: bad password {SECRET!r} for user loader")

    try:
        assert cli(["--debug", "leak-for-test"]) == 1
        err = capsys.readouterr().err
        assert "RuntimeError" in err and "Traceback" in err and SECRET not in err
    finally:
        cli_app.app.registered_commands = [
            c for c in cli_app.app.registered_commands if c.name != "leak-for-test"
        ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://u:pw123@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("{'type': 'apii', 'secret_access_key': 'X1'}", "{'type': 'apii', 'secret_access_key': '***'}"),
        ("{ access_key_id: AK1, secret_access_key: SK2 }", "{ access_key_id: ***, secret_access_key: *** }"),
        ("password=hunter22 host=db", "password=*** host=db"),
        ("private_key: abc, passphrase: def", "private_key: ***, passphrase: ***"),
        ("region: us-east-1, profile: dev", "region: us-east-1, profile: dev"),
    ],
)
def test_redact_text_hides_secrets_in_any_shape(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_redact_keeps_what_is_not_secret() -> None:
    settings = {"secrets": {"profile": "dev", "secret_access_key": "s"}, "url": "mysql://u:p@h/d", "port": 1}
    assert redact(settings) == {
        "secrets": {"profile": "dev", "secret_access_key": "***"},
        "url": "mysql://u:***@h/d",
        "port": 1,
    }


def test_scrub_removes_known_secrets_wherever_they_appear() -> None:
    assert scrub("connection refused for hunter2x at db", ["hunter2x"]) == "connection refused for *** at db"
