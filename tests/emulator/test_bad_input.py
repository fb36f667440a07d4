"""Malformed requests get an SES error a real client understands, never a 500 with a traceback: a property
test throws random bodies (v2 JSON, v1 forms, query strings) at every operation of both models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesflow.emulator import Emulator, model

AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ses/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
}
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
LABEL = st.sampled_from(["x", "example.com", "ann@example.com", "a%2Fb", "%00", "arn:aws:ses:x", "0" * 300])


def members(service: str, operation: str) -> list[str]:
    shape = model.input_shape(service, operation)
    return list(shape.members) if shape is not None else []  # type: ignore[attr-defined]


def v2_operations() -> list[tuple[str, str, str]]:
    return sorted(model.v2_routes(), key=lambda r: r[2])


def deep_members(service: str, operation: str) -> list[str]:
    """Form keys of the operation's input, nested one level (``Destination.ToAddresses.member.1``)."""
    keys: list[str] = []
    shape = model.input_shape(service, operation)
    for name, member in (shape.members if shape is not None else {}).items():  # type: ignore[attr-defined]
        keys.append(name)
        if member.type_name == "structure":
            keys.extend(f"{name}.{inner}" for inner in member.members)
        elif member.type_name == "list":
            keys.append(f"{name}.member.1")
            if member.member.type_name == "structure":
                keys.extend(f"{name}.member.1.{inner}" for inner in member.member.members)
    return keys or ["Nothing"]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Emulator, httpx.Client]]:
    with (
        Emulator(port=0, event_delay_scale=0.0, export_delay=0.0, max_send_rate=1e9) as ses,
        httpx.Client(base_url=ses.endpoint_url, headers=AUTH) as http,
    ):
        ses.seed(count=20, start="2026-10-01T00:00:00Z", end="2026-10-02T00:00:00Z", seed=1)
        yield ses, http


def assert_ses_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text
    if answer.status_code >= 400:
        assert answer.headers.get("x-amzn-errortype") or b"<ErrorResponse" in answer.content


@st.composite
def v2_requests(draw: Any) -> tuple[str, str, bytes]:
    method, uri, operation = draw(st.sampled_from(v2_operations()))
    path = re.sub(r"\{\w+\+?\}", lambda _: quote(draw(LABEL), safe="%@"), uri)
    names = members("sesv2", operation) or ["Nothing"]
    body = draw(st.dictionaries(st.sampled_from(names), JSON, max_size=5))
    query = draw(st.dictionaries(st.sampled_from(names), st.text(max_size=12), max_size=2))
    if query:
        path += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    return method, path, json.dumps(body).encode()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=v2_requests())
def test_every_v2_operation_answers_random_bodies_with_an_ses_error_or_success(
    shared: Any, request: tuple[str, str, bytes]
) -> None:
    method, path, body = request
    assert_ses_error(shared[1].request(method, path, content=body))


@st.composite
def v1_forms(draw: Any) -> dict[str, str]:
    operation = draw(st.sampled_from(model.operation_names("ses")))
    keys = deep_members("ses", operation)
    form = draw(st.dictionaries(st.sampled_from(keys), st.text(max_size=30), max_size=6))
    return {"Action": operation, **form}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=v1_forms())
def test_every_v1_action_answers_random_forms_with_an_ses_error_or_success(
    shared: Any, form: dict[str, str]
) -> None:
    assert_ses_error(shared[1].post("/", data=form))


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


def test_a_value_breaking_the_models_pattern_is_a_validation_error(shared: Any) -> None:
    answer = shared[1].post(
        "/v2/email/multi-region-endpoints",
        json={"EndpointName": "has spaces", "Details": {"RoutesDetails": [{"Region": "us-west-2"}]}},
    )
    assert answer.status_code == 400 and "regular expression pattern" in answer.json()["message"]
