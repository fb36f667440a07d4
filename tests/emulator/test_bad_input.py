"""Malformed requests get an SES error a real client understands, never a 500 with a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesflow.emulator import Emulator
from sesflow.emulator.v1 import ACTIONS
from sesflow.emulator.v2 import HANDLERS, _routes

AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ses/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "Content", "Destination", "FromEmailAddress", "EmailTags", "ConfigurationSetName", "ExportDataSource",
    "ExportDestination", "PageSize", "NextToken", "EmailIdentity", "EmailAddress", "Reason", "JobStatus",
]  # fmt: skip


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Emulator, httpx.Client]]:
    with (
        Emulator(port=0, event_delay_scale=0.0, export_delay=0.0, max_send_rate=1e9) as ses,
        httpx.Client(base_url=ses.endpoint_url, headers=AUTH) as http,
    ):
        yield ses, http


def v2_paths() -> list[tuple[str, str, str]]:
    exact, patterns = _routes()
    out = [(method, path, name) for (method, path), name in exact.items() if name in HANDLERS]
    for method, regex, name in patterns:
        if name in HANDLERS:
            path = regex.pattern.strip("^$")
            for group in regex.groupindex:
                path = path.replace(f"(?P<{group}>[^/]+)", "x%40y.org").replace(f"(?P<{group}>.+)", "x")
            out.append((method, path, name))
    return out


def assert_ses_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text
    if answer.status_code >= 400:
        assert answer.headers.get("x-amzn-errortype") or b"<ErrorResponse" in answer.content


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(v2_paths()), body=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4))
def test_v2_operations_reject_nonsense_bodies(shared: Any, route: tuple[str, str, str], body: Any) -> None:
    method, path, _ = route
    assert_ses_error(shared[1].request(method, path, content=json.dumps(body)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.sampled_from(sorted(ACTIONS)),
    form=st.dictionaries(
        st.sampled_from(
            [
                "RawMessage.Data",
                "Source",
                "Destinations.member.1",
                "Message.Subject.Data",
                "Destination.ToAddresses.member.1",
                "EmailAddress",
                "Domain",
                "Identity",
                "MaxItems",
                "IdentityType",
                "Tags.member.1.Name",
                "NextToken",
            ]
        ),
        st.text(max_size=30),
        max_size=4,
    ),
)
def test_v1_actions_reject_nonsense_forms(shared: Any, action: str, form: dict[str, str]) -> None:
    assert_ses_error(shared[1].post("/", data={"Action": action, **form}))


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"null", b'{"Content": {"Raw": {"Data": "%%%"}}}', b'{"Content": {"Raw": {}}}'],
)
def test_send_email_with_broken_json(shared: Any, body: bytes) -> None:
    answer = shared[1].post("/v2/email/outbound-emails", content=body)
    assert answer.status_code == 400 and answer.headers["x-amzn-errortype"] == "BadRequestException"


def test_malformed_authorization_is_incomplete_signature(shared: Any) -> None:
    answer = httpx.get(
        shared[0].endpoint_url + "/v2/email/account", headers={"Authorization": "AWS4-HMAC-SHA256 x"}
    )
    assert answer.status_code == 400 and answer.headers["x-amzn-errortype"] == "IncompleteSignature"


def test_unknown_path_names_the_emulator(shared: Any) -> None:
    answer = shared[1].get("/v3/nothing")
    assert answer.status_code == 404 and "not supported by the sesflow emulator" in answer.text
