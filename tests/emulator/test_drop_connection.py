"""The ``drop_connection`` fault: the connection is closed with no answer, after or before the call is
processed. Driven over real sockets (http.client and boto3); the stored messages show which case happened.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError

from sesflow.emulator import Emulator
from tests.emulator.test_sending import raw

AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ses/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "Content-Type": "application/json",
}
NO_ANSWER = (ConnectionResetError, http.client.RemoteDisconnected, http.client.IncompleteRead)


def fault(emulator: Emulator, **body: Any) -> httpx.Response:
    return httpx.post(f"{emulator.endpoint_url}/_sesflow/faults", json=body)


def stored(emulator: Emulator) -> list[dict[str, Any]]:
    return list(httpx.get(f"{emulator.endpoint_url}/_sesflow/messages").json()["messages"])


def send_over_socket(emulator: Emulator, subject: str) -> http.client.HTTPResponse:
    """A v2 SendEmail on a fresh http.client connection; returns the answer (raises if none came)."""
    url = urlsplit(emulator.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    body = {
        "FromEmailAddress": "app@example.com",
        "Destination": {"ToAddresses": ["ann@example.org"]},
        "Content": {"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "hi"}}}},
    }
    connection.request("POST", "/v2/email/outbound-emails", json.dumps(body), AUTH)
    answer = connection.getresponse()
    answer.read()
    return answer


def boto(emulator: Emulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_after_the_message_is_stored_and_counted_but_no_answer_comes(emulator: Emulator) -> None:
    assert fault(emulator, operation="SendEmail", drop_connection="after").status_code == 200
    with pytest.raises(NO_ANSWER):
        send_over_socket(emulator, "lost answer")
    assert [m["Subject"] for m in stored(emulator)] == ["lost answer"]
    sends = httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"]
    assert [(s["status"], s["operation"]) for s in sends] == [(200, "SendEmail")]
    assert send_over_socket(emulator, "answered").status == 200  # count 1: the next call is answered


def test_before_nothing_is_processed_and_no_answer_comes(emulator: Emulator) -> None:
    fault(emulator, operation="SendEmail", drop_connection="before").raise_for_status()
    with pytest.raises(NO_ANSWER):
        send_over_socket(emulator, "never processed")
    assert stored(emulator) == []
    assert httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"] == []


def test_boto3_sees_a_closed_connection_on_each_counted_call(emulator: Emulator) -> None:
    sesv2 = boto(emulator, "sesv2")
    fault(emulator, operation="SendEmail", drop_connection="after", count=2).raise_for_status()
    for _ in range(2):
        with pytest.raises(ConnectionClosedError):
            sesv2.send_email(Content={"Raw": {"Data": raw()}})
    kept = sesv2.send_email(Content={"Raw": {"Data": raw()}})["MessageId"]
    ids = [m["MessageId"] for m in stored(emulator)]
    assert len(ids) == 3 and ids[0] == kept


def test_v1_send_raw_email_dropped_after_is_in_the_export_of_its_window(emulator: Emulator) -> None:
    ses = boto(emulator, "ses")
    fault(emulator, operation="SendRawEmail", drop_connection="after").raise_for_status()
    with pytest.raises(ConnectionClosedError):
        ses.send_raw_email(RawMessage={"Data": raw(to="success@simulator.amazonses.com")})
    (message,) = stored(emulator)
    insights = boto(emulator, "sesv2").get_message_insights(MessageId=message["MessageId"])
    assert insights["Insights"][0]["Destination"] == "success@simulator.amazonses.com"


def test_other_operations_are_not_dropped(emulator: Emulator) -> None:
    fault(emulator, operation="SendRawEmail", drop_connection="before").raise_for_status()
    assert send_over_socket(emulator, "v2 is not SendRawEmail").status == 200
    assert len(stored(emulator)) == 1


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"operation": "SendEmail", "drop_connection": "during"}, "'drop_connection'"),
        ({"drop_connection": "after"}, "'operation'"),
        ({"operation": "SendEmail", "drop_connection": "after", "status": 500}, "drop_connection"),
        ({"operation": "SendEmail", "drop_connection": "after", "count": 0}, "'count'"),
    ],
)
def test_bad_drop_faults_are_refused_naming_the_field(
    body: dict[str, Any], named: str, emulator: Emulator
) -> None:
    answer = fault(emulator, **body)
    assert answer.status_code == 400 and named in answer.json()["error"]
    assert send_over_socket(emulator, "still answered").status == 200
