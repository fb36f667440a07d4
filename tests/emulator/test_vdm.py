"""VDM metrics (MetricsDataSource exports and BatchGetMetricData) and what seeding leaves for a warehouse
sync: the suppression list from seeded hard bounces and complaints, identities, configuration sets with
event destinations, VDM enabled."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from tests.emulator.test_exports import DAY0, download, run_job, wait_a_second
from tests.emulator.test_sending import error_of, raw

METRICS = [
    "SEND",
    "COMPLAINT",
    "PERMANENT_BOUNCE",
    "TRANSIENT_BOUNCE",
    "OPEN",
    "CLICK",
    "DELIVERY",
    "DELIVERY_OPEN",
    "DELIVERY_CLICK",
    "DELIVERY_COMPLAINT",
]
END = DAY0 + timedelta(days=3)


def metrics_source(dimensions: dict[str, list[str]], aggregation: str = "VOLUME") -> dict[str, Any]:
    return {
        "MetricsDataSource": {
            "Namespace": "VDM",
            "Dimensions": dimensions,
            "Metrics": [{"Name": m, "Aggregation": aggregation} for m in METRICS],
            "StartDate": DAY0,
            "EndDate": END,
        }
    }


def test_without_vdm_metrics_are_refused_naming_the_setting(sesv2: Any) -> None:
    assert sesv2.get_account()["VdmAttributes"]["VdmEnabled"] == "DISABLED"
    code, status, message = error_of(
        sesv2.create_export_job,
        ExportDataSource=metrics_source({"ISP": ["*"]}),
        ExportDestination={"DataFormat": "JSON"},
    )
    assert (code, status) == ("BadRequestException", 400) and "VdmEnabled" in message
    answer = sesv2.batch_get_metric_data(
        Queries=[{"Id": "q", "Namespace": "VDM", "Metric": "SEND", "StartDate": DAY0, "EndDate": END}]
    )
    assert answer["Results"] == [] and answer["Errors"][0]["Code"] == "ACCESS_DENIED"
    sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    assert run_job(sesv2, metrics_source({"ISP": ["*"]}))["JobStatus"] == "COMPLETED"


@pytest.fixture
def seeded(emulator: Any, sesv2: Any) -> Any:
    emulator.seed(count=3000, start=DAY0, end=END - timedelta(seconds=1), seed=5)
    return sesv2


def test_seeding_enables_vdm_and_leaves_identities_and_sets_with_event_destinations(seeded: Any) -> None:
    assert seeded.get_account()["VdmAttributes"]["VdmEnabled"] == "ENABLED"
    names = [i["IdentityName"] for i in seeded.list_email_identities()["EmailIdentities"]]
    assert names == ["example.com", "news@example.com"]
    assert seeded.list_configuration_sets()["ConfigurationSets"] == [
        "seeded-marketing",
        "seeded-transactional",
    ]
    for name in ("seeded-marketing", "seeded-transactional"):
        (destination,) = seeded.get_configuration_set_event_destinations(ConfigurationSetName=name)[
            "EventDestinations"
        ]
        assert destination["Enabled"] is True and destination["MatchingEventTypes"]


def test_every_metric_by_isp_with_the_wildcard(seeded: Any) -> None:
    rows = download(run_job(seeded, metrics_source({"ISP": ["*"]})))
    assert {r["ISP"] for r in rows} >= {"Gmail", "Yahoo", "Hotmail", "iCloud", "Other"}
    assert all(set(f"{m}_VOLUME" for m in METRICS) <= set(r) for r in rows)
    assert sorted({r["Timestamp"][:10] for r in rows}) == ["2026-10-01", "2026-10-02", "2026-10-03"]
    totals = Counter()
    for row in rows:
        for metric in METRICS:
            totals[metric] += row[f"{metric}_VOLUME"]
    assert totals["SEND"] == 3000
    assert totals["DELIVERY"] + totals["PERMANENT_BOUNCE"] + totals["TRANSIENT_BOUNCE"] == 3000
    assert totals["DELIVERY_OPEN"] == totals["DELIVERY"] and 0 < totals["CLICK"] < totals["OPEN"]
    assert 0 < totals["DELIVERY_COMPLAINT"] < totals["DELIVERY"]  # only providers with a feedback loop


def test_every_metric_by_email_identity_and_by_configuration_set(seeded: Any) -> None:
    by_identity = download(run_job(seeded, metrics_source({"EMAIL_IDENTITY": ["*"]})))
    assert {r["EMAIL_IDENTITY"] for r in by_identity} == {"news@example.com"}
    wait_a_second()
    by_set = download(run_job(seeded, metrics_source({"CONFIGURATION_SET": ["*"]})))
    assert {r["CONFIGURATION_SET"] for r in by_set} == {"seeded-marketing", "seeded-transactional"}
    assert sum(r["SEND_VOLUME"] for r in by_set) == sum(r["SEND_VOLUME"] for r in by_identity) == 3000
    wait_a_second()
    one = download(run_job(seeded, metrics_source({"CONFIGURATION_SET": ["seeded-marketing"]})))
    assert {r["CONFIGURATION_SET"] for r in one} == {"seeded-marketing"}


def test_rates_are_relative_to_send(seeded: Any) -> None:
    rows = download(run_job(seeded, metrics_source({"ISP": ["Gmail"]}, "RATE")))
    assert rows and all(0 < r["DELIVERY_RATE"] <= 1 and r["SEND_RATE"] == 1.0 for r in rows)


@pytest.mark.parametrize(
    "dimensions",
    [
        {"ISP": ["*", "Gmail"]},
        {"ISP": ["*"], "EMAIL_IDENTITY": ["a@example.com", "b@example.com"]},
        {"COLOR": ["x"]},
    ],
)
def test_wildcard_rules_as_ses_gives_them(seeded: Any, dimensions: dict[str, list[str]]) -> None:
    assert (
        error_of(
            seeded.create_export_job,
            ExportDataSource=metrics_source(dimensions),
            ExportDestination={"DataFormat": "JSON"},
        )[0]
        == "BadRequestException"
    )


def test_mailbox_simulator_and_multi_recipient_mail_are_not_counted(sesv2: Any) -> None:
    sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    sesv2.send_email(Content={"Raw": {"Data": raw("bounce@simulator.amazonses.com")}})
    sesv2.send_email(Content={"Raw": {"Data": raw("a@example.org, b@example.org")}})
    sesv2.send_email(Content={"Raw": {"Data": raw("c@gmail.com")}})
    import time

    now = time.time()
    answer = sesv2.batch_get_metric_data(
        Queries=[
            {"Id": "send", "Namespace": "VDM", "Metric": "SEND", "StartDate": now - 60, "EndDate": now + 1},
            {
                "Id": "gmail",
                "Namespace": "VDM",
                "Metric": "DELIVERY",
                "Dimensions": {"ISP": "Gmail"},
                "StartDate": now - 60,
                "EndDate": now + 1,
            },
        ]
    )
    assert {r["Id"]: sum(r["Values"]) for r in answer["Results"]} == {"send": 1, "gmail": 1}


def test_seeded_hard_bounces_and_complaints_are_on_the_suppression_list(seeded: Any) -> None:
    listed = seeded.list_suppressed_destinations(PageSize=1000)["SuppressedDestinationSummaries"]
    reasons = Counter(item["Reason"] for item in listed)
    assert reasons["BOUNCE"] > 0 and reasons["COMPLAINT"] > 0
    times = [item["LastUpdateTime"] for item in listed]
    assert times == sorted(times, reverse=True)
    for reason in ("BOUNCE", "COMPLAINT"):
        item = next(i for i in listed if i["Reason"] == reason)
        detail = seeded.get_suppressed_destination(EmailAddress=item["EmailAddress"])["SuppressedDestination"]
        message_id = detail["Attributes"]["MessageId"]
        assert detail["Attributes"]["FeedbackId"]
        events = seeded.get_message_insights(MessageId=message_id)["Insights"][0]["Events"]
        wanted = "BOUNCE" if reason == "BOUNCE" else "COMPLAINT"
        assert any(e["Type"] == wanted and e["Timestamp"] == detail["LastUpdateTime"] for e in events)
    only = seeded.list_suppressed_destinations(Reasons=["COMPLAINT"])["SuppressedDestinationSummaries"]
    assert {i["Reason"] for i in only} == {"COMPLAINT"}


def test_seeded_history_is_counted_the_same_with_or_without_building_each_message() -> None:
    from sesflow.emulator import metrics
    from sesflow.emulator.scope import Scope
    from sesflow.emulator.seeding import make_batch
    from sesflow.emulator.store import Store

    store = Store()
    start = DAY0.timestamp()
    store.add_batch(make_batch(0, 5000, start, start + 3 * 86_400, 9, configuration_sets=("a", "b")))
    late = store.batches[0].message_id(7)
    store.add_event(late, (start + 4 * 86_400, "COMPLAINT", store.find(late).destinations[0], None))  # type: ignore[union-attr]
    scope, cutoff, dims = (
        Scope("123456789012", "us-east-1"),
        start + 5 * 86_400,
        {"ISP": ["*"], "CONFIGURATION_SET": ["*"]},
    )
    fast = metrics.aggregate(metrics.counted(store, start, cutoff, scope, cutoff), dims, frozenset())
    slow = metrics.aggregate(metrics._views(store.window(start, cutoff, scope), cutoff), dims, frozenset())
    assert fast == slow and sum(b[0] for b in fast.values()) == 5000
