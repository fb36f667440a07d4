"""The ``sesflow.send_message`` Celery task, run by real ``celery worker`` processes (prefork pool) on the
Redis broker, sending to the emulator in its own process."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from sesflow import Attachment, Message
from sesflow.celery import queue_message, send_message
from sesflow.errors import MessageError
from tests.celery.conftest import Broker
from tests.celery.workers import Worker
from tests.emulator_process import EmulatorProcess

TIMEOUT = 120


@pytest.fixture(scope="module")
def queues(broker: Broker) -> dict[str, str]:
    return {name: broker.queue(name) for name in ("a", "b", "shared")}


@pytest.fixture(scope="module")
def workers(
    worker_starter: Any, queues: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Worker | Path]:
    """Two prefork workers: w1 on queues a + shared, w2 on b + shared. Each builds a Mailer in its main
    process before forking (the marker file says so), as an eager application might."""
    folder = tmp_path_factory.mktemp("warm")
    one, two = folder / "w1.pid", folder / "w2.pid"
    return {
        "w1": worker_starter([queues["a"], queues["shared"]], SESFLOW_TEST_WARM_PARENT=str(one)),
        "w2": worker_starter([queues["b"], queues["shared"]], SESFLOW_TEST_WARM_PARENT=str(two)),
        "w1_marker": one,
        "w2_marker": two,
    }


@pytest.fixture
def web_file(tmp_path: Path) -> Iterator[str]:
    """A URL served over HTTP on 127.0.0.1 for a file holding b"served over http"."""
    (tmp_path / "served.txt").write_bytes(b"served over http")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/served.txt"
    server.shutdown()
    server.server_close()


def test_a_queued_message_is_composed_and_sent_by_a_worker(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess, tmp_path: Path, web_file: str
) -> None:
    on_disk = tmp_path / "invoice.txt"
    on_disk.write_text("read by the worker")
    message = Message(
        from_="Shop <shop@example.com>",
        to=["ann@example.com"],
        cc=["bob@example.com"],
        bcc=["audit@example.com"],
        subject="Order 1",
        text="It ships today.",
        html="<p>It ships today.</p>",
        attachments=[
            Attachment(path=str(on_disk)),
            Attachment(filename="bytes.bin", content=b"\x00\x01binary"),
            Attachment(href=web_file, filename="served.txt"),
        ],
        headers={"X-Order": "1"},
        ses={"EmailTags": [{"Name": "kind", "Value": "order"}]},
    )
    result = queue_message(message, queue=queues["a"])
    outcome = result.get(timeout=TIMEOUT)

    assert outcome["status"] == "sent"
    assert outcome["envelope"] == {
        "from": "shop@example.com",
        "to": ["ann@example.com", "bob@example.com", "audit@example.com"],
    }
    [stored] = ses.messages()
    assert outcome["response"] == stored["MessageId"]
    assert sorted(stored["Destination"]) == ["ann@example.com", "audit@example.com", "bob@example.com"]
    assert stored["Tags"] == {"kind": "order"}
    parsed = ses.parsed(stored["MessageId"])
    assert parsed["Bcc"] is None and parsed["X-Order"] == "1"
    contents = {part.get_filename(): part.get_content() for part in parsed.iter_attachments()}
    assert contents == {
        "invoice.txt": "read by the worker",
        "bytes.bin": b"\x00\x01binary",
        "served.txt": "served over http",
    }


def test_messages_on_several_queues_are_each_sent_once_by_the_workers_of_those_queues(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    queued = []
    for n in range(18):
        queue = ("a", "b", "shared")[n % 3]
        message = Message(from_="shop@example.com", to=f"c{n}@example.com", subject=f"n{n}", text="x")
        queued.append((queue, queue_message(message, queue=queues[queue])))
    outcomes = [(queue, result, result.get(timeout=TIMEOUT)) for queue, result in queued]

    assert [o["status"] for _, _, o in outcomes] == ["sent"] * 18
    subjects = sorted(m["Subject"] for m in ses.messages())
    assert subjects == sorted(f"n{n}" for n in range(18))
    assert len(ses.sends()) == 18
    served = {queue: {result.worker for q, result, _ in outcomes if q == queue} for queue in ("a", "b")}
    assert served == {"a": {workers["w1"].name}, "b": {workers["w2"].name}}


def test_each_pool_process_builds_its_own_mailer_after_fork(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    # Both workers built a Mailer in their main process before forking their pool (see the fixture); the
    # pool processes must not use it (its threads did not survive fork): every send still completes.
    assert workers["w1_marker"].read_text() == f"{workers['w1'].proc.pid} sent"
    assert workers["w2_marker"].read_text() == f"{workers['w2'].proc.pid} sent"
    results = [
        queue_message(
            Message(from_="shop@example.com", to=f"f{n}@example.com", subject="after fork", text="x"),
            queue=queues["shared"],
        )
        for n in range(8)
    ]
    assert [r.get(timeout=TIMEOUT)["status"] for r in results] == ["sent"] * 8


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"from": "shop@example.com", "to": 42, "text": "x"}, "to: expected an address"),
        ({"from": "shop@example.com", "to": "a@example.com", "atachments": []}, "atachments: not a field"),
        ({"from": "shop@example.com", "to": "not an address", "text": "x"}, "to: 'not an address'"),
        ({"from": "shop@example.com", "text": "x"}, "The message has no recipient"),
    ],
    ids=["wrong-type", "unknown-field", "bad-address", "no-recipient"],
)
def test_a_payload_that_is_not_a_valid_message_fails_the_task_naming_the_field_and_sends_nothing(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess, payload: Any, named: str
) -> None:
    result = send_message.apply_async(args=[payload], queue=queues["a"])
    with pytest.raises(MessageError) as failed:
        result.get(timeout=TIMEOUT)
    assert str(failed.value).startswith(named)
    assert result.state == "FAILURE"
    assert result.retries == 0
    assert ses.sends() == []


def test_queue_message_refuses_in_the_caller_what_cannot_travel(app: Celery, queues: dict[str, str]) -> None:
    message = Message(from_="shop@example.com", to="a@example.com", text="x", ses={"EmailTags": {"a", "b"}})
    with pytest.raises(MessageError, match=r"^ses\.EmailTags: expected a JSON value"):
        queue_message(message, queue=queues["a"])


def test_a_send_ses_did_not_take_past_the_mailers_retries_is_retried_by_celery_until_sent(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    # The workers try each send twice (sesflow_max_attempts 2); five 503s need two Celery retries.
    ses.fault(operation="SendEmail", status=503, count=5)
    result = queue_message(
        Message(from_="shop@example.com", to="slow@example.com", subject="unavailable", text="x"),
        queue=queues["a"],
    )
    outcome = result.get(timeout=TIMEOUT)
    assert outcome["status"] == "sent"
    assert result.retries == 2
    assert [s["status"] for s in ses.sends()] == [503] * 5 + [200]
    assert [m["Subject"] for m in ses.messages()] == ["unavailable"]


def test_an_unknown_outcome_is_a_result_and_never_retried(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    # SES takes the message, then the connection drops before the answer: it may have been sent.
    ses.fault(operation="SendEmail", drop_connection="after", count=1)
    result = queue_message(
        Message(from_="shop@example.com", to="maybe@example.com", subject="maybe", text="x"),
        queue=queues["b"],
    )
    outcome = result.get(timeout=TIMEOUT)
    assert outcome["status"] == "unknown"
    assert outcome["error"]["type"] == "OutcomeUnknownError"
    assert result.retries == 0
    assert len(ses.sends()) == 1
    assert [m["Subject"] for m in ses.messages()] == ["maybe"]  # sent once, never twice


def test_a_send_ses_refuses_for_good_is_a_failed_result_and_not_retried(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    ses.fault(operation="SendEmail", error_code="MessageRejected", count=1)
    result = queue_message(
        Message(from_="shop@example.com", to="no@example.com", subject="refused", text="x"), queue=queues["b"]
    )
    outcome = result.get(timeout=TIMEOUT)
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "MessageRejected"
    assert result.retries == 0
    assert len(ses.sends()) == 1
    assert ses.messages() == []


def test_a_bad_worker_setting_fails_the_task_naming_it_and_sends_nothing(
    app: Celery, worker_starter: Any, broker: Broker, ses: EmulatorProcess
) -> None:
    queue = broker.queue("misconfigured")
    worker_starter([queue], concurrency=1, pool="solo", SESFLOW_RATE="fast")
    result = queue_message(Message(from_="shop@example.com", to="a@example.com", text="x"), queue=queue)
    with pytest.raises(Exception, match=r"^SESFLOW_RATE: expected a positive number") as failed:
        result.get(timeout=TIMEOUT)
    assert type(failed.value).__name__ == "ConfigError"
    assert ses.sends() == []


def test_the_result_is_the_send_result_as_plain_data(
    app: Celery, workers: Any, queues: dict[str, str], ses: EmulatorProcess
) -> None:
    result = queue_message(
        Message(from_="shop@example.com", to="data@example.com", subject="data", text="x"), queue=queues["b"]
    )
    outcome = result.get(timeout=TIMEOUT)
    keys = {"status", "envelope", "message_id", "response", "accepted_at", "attempts", "error"}
    assert set(outcome) == keys
    assert outcome["message_id"] == f"<{outcome['response']}@email.amazonses.com>"
    assert outcome["attempts"] == 1 and outcome["error"] is None
