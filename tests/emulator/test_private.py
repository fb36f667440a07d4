"""The emulator's own endpoints: health, seeding, inspection, late events, and bad input to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sesflow.emulator import Emulator
from tests.emulator.test_sending import raw

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_health(emulator: Emulator) -> None:
    answer = httpx.get(f"{emulator.endpoint_url}/_sesflow/health").json()
    assert answer["status"] == "ok" and answer["region"] == "us-east-1"


def test_seed_endpoint_and_emulator_seed(emulator: Emulator) -> None:
    body = {"count": 250, "start": "2026-10-01T00:00:00Z", "end": "2026-10-05T00:00:00Z", "seed": 1}
    assert httpx.post(f"{emulator.endpoint_url}/_sesflow/seed", json=body).json() == {"seeded": 250}
    assert emulator.seed(per_day=100, start=DAY0, end=DAY0 + timedelta(days=3), seed=2) == 300
    assert httpx.get(f"{emulator.endpoint_url}/_sesflow/health").json()["messages"] == 550


def test_seed_from_and_tags(emulator: Emulator) -> None:
    emulator.seed(
        count=3, start=DAY0, end=DAY0 + timedelta(hours=1), seed=1, from_="ops@x.org", tags={"a": "b"}
    )
    messages = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages").json()["messages"]
    assert {m["From"] for m in messages} == {"ops@x.org"} and messages[0]["Tags"] == {"a": "b"}


def test_seeded_history_has_a_realistic_mix(emulator: Emulator) -> None:
    emulator.seed(count=1000, start=DAY0, end=DAY0 + timedelta(days=1), seed=3)
    messages = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages", params={"limit": 1000}).json()[
        "messages"
    ]
    outcomes = [m["Outcome"] for m in messages]
    assert 850 < outcomes.count("DELIVERY") + outcomes.count("COMPLAINT") < 1000
    assert 5 < outcomes.count("PERMANENT_BOUNCE") < 60
    assert 100 < sum(1 for m in messages if m["Engagement"]) < 600


def test_messages_filter_and_paging(emulator: Emulator, sesv2: Any) -> None:
    for to in ("ann@example.org", "bob@example.org", "ann@example.org"):
        sesv2.send_email(Content={"Raw": {"Data": raw(to)}})
    url = f"{emulator.endpoint_url}/_sesflow/messages"
    anns = httpx.get(url, params={"recipient": "ANN@example.org"}).json()["messages"]
    assert len(anns) == 2
    page = httpx.get(url, params={"limit": 1, "offset": 1}).json()["messages"]
    assert page[0]["Destination"] == ["bob@example.org"]
    assert httpx.get(url, params={"since": "2100-01-01T00:00:00Z"}).json()["messages"] == []


def test_raw_and_delete(emulator: Emulator, sesv2: Any) -> None:
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw()}})["MessageId"]
    eml = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{message_id}/raw")
    assert eml.content == raw() and eml.headers["content-type"] == "message/rfc822"
    assert httpx.delete(f"{emulator.endpoint_url}/_sesflow/messages").status_code == 200
    assert httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{message_id}/raw").status_code == 404


def test_bad_input_to_private_endpoints_is_a_400_not_a_traceback(emulator: Emulator) -> None:
    url = emulator.endpoint_url
    cases = [
        httpx.post(f"{url}/_sesflow/seed", content=b"{not json"),
        httpx.post(f"{url}/_sesflow/seed", json={"count": -1, "start": "2026-01-01", "end": "2026-01-02"}),
        httpx.post(f"{url}/_sesflow/seed", json={"count": 1, "start": "yesterday", "end": "2026-01-02"}),
        httpx.post(f"{url}/_sesflow/faults", json={"status": 418, "operation": "SendEmail"}),
        httpx.post(f"{url}/_sesflow/faults", json={"bogus": 1}),
        httpx.get(f"{url}/_sesflow/sends", params={"since": "soon"}),
        httpx.post(f"{url}/_sesflow/messages/0100abc/events", json={"type": "EXPLODE"}),
    ]
    assert [c.status_code for c in cases] == [400] * len(cases)
    assert all("Traceback" not in c.text and "error" in c.json() for c in cases)


def test_malformed_api_requests_get_ses_errors(emulator: Emulator) -> None:
    url = emulator.endpoint_url
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/ses/aws4_request, "
            "SignedHeaders=host, Signature=00"}  # fmt: skip
    v2 = httpx.post(f"{url}/v2/email/outbound-emails", content=b"[1,", headers=auth)
    assert v2.status_code == 400 and v2.headers["x-amzn-errortype"] == "BadRequestException"
    v1 = httpx.post(
        f"{url}/", data={"Action": "SendRawEmail", "RawMessage.Data": "!!notbase64"}, headers=auth
    )
    assert v1.status_code == 400 and "<Code>InvalidParameterValue</Code>" in v1.text
    unknown = httpx.post(f"{url}/", data={"Action": "LaunchRocket"}, headers=auth)
    assert unknown.status_code == 400 and "<Code>InvalidAction</Code>" in unknown.text
    assert "LaunchRocket is not valid for this web service" in unknown.text
    unsigned = httpx.get(f"{url}/v2/email/account")
    assert (
        unsigned.status_code == 403 and unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationToken"
    )


def test_messages_since_accepts_epoch_seconds(emulator: Emulator, sesv2: Any) -> None:
    sesv2.send_email(Content={"Raw": {"Data": raw()}})
    url = f"{emulator.endpoint_url}/_sesflow/messages"
    assert len(httpx.get(url, params={"since": "0"}).json()["messages"]) == 1
    assert httpx.get(url, params={"since": "4102444800"}).json()["messages"] == []
