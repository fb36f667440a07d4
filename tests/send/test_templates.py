"""``Templates`` and the folder of template files, against the emulator over HTTP: push creates, updates or
leaves alone; what the AWS CLI writes and reads is the same template; render fails naming the missing
variable; every problem in a file is a ConfigError naming the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sesflow import Templates
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, NotFoundError, TemplateRenderError
from sesflow.send import read_templates
from tests.send.conftest import session

AWS = str(Path(sys.executable).with_name("aws"))
WELCOME_YAML = """\
subject: "Welcome, {{name}}"
html_file: welcome.html
text: |
  Hello {{name}},
  your plan is {{plan.name}}.
"""
WELCOME_HTML = "<h1>Hello {{name}}</h1>{{#if vip}}<p>VIP</p>{{/if}}"
AWS_V2 = {
    "TemplateName": "password-reset",
    "TemplateContent": {"Subject": "Your code", "Text": "Code: {{code}}", "Html": "<b>{{code}}</b>"},
    "Tags": [{"Key": "team", "Value": "auth"}],
}
AWS_V1 = {
    "Template": {"TemplateName": "receipt", "SubjectPart": "Receipt {{id}}", "TextPart": "Total {{total}}"}
}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator of this test alone (templates are account state)."""
    with Emulator(port=0) as ses:
        yield ses


@pytest.fixture
def store(emulator: Emulator) -> Iterator[Templates]:
    with Templates(session=session(), endpoint_url=emulator.endpoint_url) as templates:
        yield templates


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one template in each layout: YAML (with an HTML file beside it), plain JSON, and the
    AWS CLI's v2 and v1 JSON."""
    (tmp_path / "welcome.yaml").write_text(WELCOME_YAML)
    (tmp_path / "welcome.html").write_text(WELCOME_HTML)
    (tmp_path / "notice.json").write_text(json.dumps({"subject": "Notice", "text": "Hi {{name}}"}))
    (tmp_path / "reset.json").write_text(json.dumps(AWS_V2))
    (tmp_path / "receipt-v1.json").write_text(json.dumps(AWS_V1))
    (tmp_path / "README.md").write_text("not a template")
    return tmp_path


def aws(emulator: Emulator, *args: str) -> Any:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "cli-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [AWS, *args, "--endpoint-url", emulator.endpoint_url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_push_creates_then_leaves_alone_then_updates(store: Templates, folder: Path) -> None:
    first = store.push(folder)
    assert [(r.name, r.action) for r in first] == [
        ("notice", "created"),
        ("password-reset", "created"),
        ("receipt", "created"),
        ("welcome", "created"),
    ]
    assert first[1].path == folder / "reset.json"
    assert [r.action for r in store.push(folder)] == ["unchanged"] * 4
    (folder / "welcome.html").write_text("<h1>Hi {{name}}</h1>")
    assert [(r.name, r.action) for r in store.push(folder) if r.action != "unchanged"] == [
        ("welcome", "updated")
    ]
    held = store.get("welcome")
    assert (held.subject, held.html) == ("Welcome, {{name}}", "<h1>Hi {{name}}</h1>")
    assert held.text == "Hello {{name}},\nyour plan is {{plan.name}}.\n"


def test_a_dry_run_says_what_would_change_and_changes_nothing(store: Templates, folder: Path) -> None:
    store.push(folder)
    (folder / "notice.json").write_text(json.dumps({"subject": "Notice!", "text": "Hi {{name}}"}))
    (folder / "extra.yaml").write_text("subject: Extra\ntext: x\n")
    planned = {r.name: r.action for r in store.push(folder, dry_run=True)}
    assert planned == {
        "extra": "created",
        "notice": "updated",
        "password-reset": "unchanged",
        "receipt": "unchanged",
        "welcome": "unchanged",
    }
    assert store.get("notice").subject == "Notice"
    assert "extra" not in {t.name for t in store.list()}


def test_the_aws_cli_reads_back_what_push_wrote_and_push_agrees_with_what_it_wrote(
    emulator: Emulator, store: Templates, folder: Path
) -> None:
    store.push(folder)
    read = aws(emulator, "sesv2", "get-email-template", "--template-name", "password-reset")
    assert read["TemplateContent"] == AWS_V2["TemplateContent"]
    assert read["Tags"] == AWS_V2["Tags"]
    v1 = aws(emulator, "ses", "get-template", "--template-name", "receipt")["Template"]
    assert (v1["SubjectPart"], v1["TextPart"]) == ("Receipt {{id}}", "Total {{total}}")
    # A file made for `aws sesv2 create-email-template --cli-input-json` creates the same template either way.
    cli_file = folder / "from-cli.json"
    cli_file.write_text(json.dumps({**AWS_V2, "TemplateName": "made-by-cli"}))
    aws(emulator, "sesv2", "create-email-template", "--cli-input-json", f"file://{cli_file}")
    assert {r.name: r.action for r in store.push(folder)}["made-by-cli"] == "unchanged"


def test_a_template_ses_refuses_fails_alone(store: Templates, folder: Path) -> None:
    (folder / "broken.yaml").write_text("subject: Broken\ntext: '{{#if x}}never closed'\n")
    results = {r.name: r for r in store.push(folder)}
    assert results["broken"].action == "failed"
    assert results["broken"].error is not None
    assert "Template broken" in results["broken"].error.message
    assert results["broken"].error.code == "BadRequestException"
    assert {n for n, r in results.items() if r.action == "created"} == {
        "notice",
        "password-reset",
        "receipt",
        "welcome",
    }


def test_render_gives_subject_text_and_html_as_ses_renders_them(store: Templates, folder: Path) -> None:
    store.push(folder)
    rendered = store.render("welcome", {"name": "Ann", "plan": {"name": "Gold"}, "vip": True})
    assert rendered.subject == "Welcome, Ann"
    assert rendered.text == "Hello Ann,\nyour plan is Gold.\n"
    assert rendered.html == "<h1>Hello Ann</h1><p>VIP</p>\n"  # a MIME part ends with a line break
    assert "Subject: Welcome, Ann" in rendered.mime


def test_render_names_the_variable_the_data_lacks(store: Templates, folder: Path) -> None:
    store.push(folder)
    with pytest.raises(TemplateRenderError, match="Template welcome does not render") as caught:
        store.render("welcome", {"name": "Ann"})
    assert caught.value.variable == "plan.name"
    assert caught.value.hint is not None and "plan.name" in caught.value.hint


def test_a_template_ses_does_not_hold_is_not_found(store: Templates) -> None:
    with pytest.raises(NotFoundError, match="Template nope does not exist in us-east-1"):
        store.render("nope", {})
    with pytest.raises(NotFoundError):
        store.get("nope")
    with pytest.raises(NotFoundError):
        store.delete("nope")


def test_list_reads_every_page_and_delete_removes(store: Templates, tmp_path: Path) -> None:
    for i in range(105):
        (tmp_path / f"t{i:03d}.yaml").write_text(f"subject: S{i}\ntext: T{i}\n")
    store.push(tmp_path)
    assert sorted(t.name for t in store.list()) == [f"t{i:03d}" for i in range(105)]
    assert all(t.created is not None for t in store.list())
    store.delete("t000")
    assert len(store.list()) == 104


def test_templates_needs_a_sesv2_client(emulator: Emulator) -> None:
    v1 = session().client("ses", endpoint_url=emulator.endpoint_url)
    with pytest.raises(ConfigError, match="sesv2"):
        Templates(v1)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"a.yaml": "subject: S\ntext: T\ncolour: red\n"}, "a.yaml: unknown key 'colour'"),
        ({"a.yaml": "text: T\n"}, "a.yaml: no subject"),
        ({"a.yaml": "subject: S\n"}, "a.yaml: no html and no text"),
        ({"a b.yaml": "subject: S\ntext: T\n"}, "'a b' is not a template name SES takes"),
        ({"a.yaml": "subject: S\ntext: T\n", "a.json": '{"subject": "S", "text": "T"}'}, "also defined by"),
        ({"a.yaml": "subject: [S\n"}, "a.yaml: not valid YAML"),
        ({"a.json": "{"}, "a.json: not valid JSON"),
        ({"a.yaml": "subject: S\ntext: T\ntext_file: t.txt\n"}, "text and text_file are both given"),
        ({"a.yaml": "subject: S\nhtml_file: missing.html\n"}, "html_file 'missing.html' cannot be read"),
        ({"a.yaml": "subject: 5\ntext: T\n"}, "subject must be text"),
        ({"a.json": json.dumps({"TemplateContent": {"Subject": "S", "Body": "B"}})}, "TemplateContent.Body"),
        ({"notes.txt": "no templates here"}, "no template files"),
    ],
)
def test_a_problem_in_a_file_names_the_file(files: dict[str, str], problem: str, tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=problem):
        read_templates(tmp_path)


def test_a_folder_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        read_templates(tmp_path / "missing")
