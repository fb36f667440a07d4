"""``sesflow send`` against the emulator: result table or JSON, exit 1 when the send failed, exit 2 for bad
input naming the option or the problem (and then nothing is sent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from sesflow.cli.app import run
from tests.send.conftest import Private


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSESFLOWCLI")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def send_args(ses: Private, *extra: str) -> list[str]:
    return [
        "send", "--from", "Shop <shop@example.com>", "--subject", "Your order", "--text", "It ships today.",
        "--endpoint-url", ses.url, "--region", "us-east-1", *extra,
    ]  # fmt: skip


def test_send_prints_a_result_table(ses: Private, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(send_args(ses, "--to", "ann@example.org")) == 0
    out = capsys.readouterr().out
    stored = ses.messages()
    assert len(stored) == 1
    assert "sent" in out
    assert stored[0]["MessageId"] in out


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_send_json_gives_the_envelope_and_ids(
    api: str, ses: Private, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        send_args(
            ses, "--to", "ann@example.org", "--cc", "cy@example.org", "--bcc", "hidden@example.net",
            "--header", "X-Order: 42", "--tag", "campaign=autumn", "--api", api, "--rate", "auto",
            "--connections", "2", "--json",
        )
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "sent"
    assert result["envelope"] == {
        "from": "shop@example.com",
        "to": ["ann@example.org", "cy@example.org", "hidden@example.net"],
    }
    assert result["message_id"] == f"<{result['response']}@email.amazonses.com>"
    stored = ses.messages()[0]
    assert stored["MessageId"] == result["response"]
    assert stored["Tags"] == {"campaign": "autumn"}
    raw = ses.raw(result["response"])
    assert b"X-Order: 42" in raw
    assert b"hidden@example.net" not in raw


def test_attachments_and_calendar_files_are_sent(
    ses: Private, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 not really")
    invite = tmp_path / "invite.ics"
    invite.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n")
    args = send_args(
        ses, "--to", "ann@example.org", "--attach", str(invoice), "--ical", str(invite), "--json"
    )
    assert run(args) == 0
    raw = ses.raw(json.loads(capsys.readouterr().out)["response"])
    assert b'filename="invoice.pdf"' in raw or b"filename=invoice.pdf" in raw
    assert b"text/calendar" in raw


def test_a_failed_send_exits_1(ses: Private, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(send_args(ses, "--to", "ann@example.org", "--configuration-set", "missing", "--json")) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "failed"
    assert result["error"]["code"] == "NotFoundException"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--to", "a@example.org", "--api", "v3"], "--api"),
        (["--to", "a@example.org", "--rate", "-5"], "--rate"),
        (["--to", "a@example.org", "--rate", "fast"], "--rate"),
        (["--to", "a@example.org", "--rate", "0"], "--rate"),
        (["--to", "a@example.org", "--redis-url", "redis://127.0.0.1:1/0"], "--redis-url"),
        (["--to", "a@example.org", "--redis-url", "http://127.0.0.1:6379"], "--redis-url"),
        (["--to", "a@example.org", "--redis-url", "redis://127.0.0.1:port"], "--redis-url"),
        (["--to", "a@example.org", "--connections", "0"], "--connections"),
        (["--to", "a@example.org", "--region", "us east 1"], "--region"),
        (["--to", "a@example.org", "--endpoint-url", "localhost:8005"], "--endpoint-url"),
        (["--to", "a@example.org", "--endpoint-url", "http://127.0.0.1:port"], "--endpoint-url"),
        (["--to", "a@example.org", "--header", "no colon"], "--header"),
        (["--to", "a@example.org", "--tag", "novalue"], "--tag"),
        ([], "no recipient"),
        ([arg for i in range(51) for arg in ("--to", f"r{i}@example.org")], "51 recipients"),
    ],
)
def test_bad_input_exits_2_naming_it_and_sends_nothing(
    extra: list[str], named: str, ses: Private, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(send_args(ses, *extra)) == 2
    assert named in capsys.readouterr().err
    assert ses.sends() == []


def test_send_with_a_redis_url_counts_its_recipients_in_the_shared_limiter(
    ses: Private, redis_url: str, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--to", "a@example.org", "--cc", "b@example.org", "--redis-url", redis_url, "--redis-key", key]
    assert run(send_args(ses, *extra, "--json")) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "sent"
    state = redis.Redis.from_url(redis_url).hgetall(f"{{{key}}}:state")
    assert int(float(state[b"day"])) == 2  # its two recipients, counted where every process sees them


def test_an_unreachable_redis_in_the_environment_exits_2_naming_the_variable(
    ses: Private, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESFLOW_REDIS_URL", "redis://:pa55word@127.0.0.1:1/0")
    assert run(send_args(ses, "--to", "a@example.org")) == 2
    err = capsys.readouterr().err
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in err
    assert "SESFLOW_REDIS_URL" in err
    assert "pa55word" not in err
    assert ses.sends() == []


def test_too_large_for_v1_exits_2(ses: Private, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (8 * 1024 * 1024))
    assert run(send_args(ses, "--to", "a@example.org", "--attach", str(big), "--api", "v1")) == 2
    assert "too large" in capsys.readouterr().err
    assert ses.sends() == []


def test_the_installed_command_runs_end_to_end(ses: Private) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDSESFLOWCLI", "AWS_SECRET_ACCESS_KEY": "secret"}
    done = subprocess.run(
        [sys.executable, "-m", "sesflow", *send_args(ses, "--to", "ann@example.org", "--json")],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "sent"
