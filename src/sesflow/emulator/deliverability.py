"""The Deliverability dashboard: the subscription and its domains, predictive inbox placement tests (done
after ``--export-delay``, with placements derived from the message), blacklist reports (nothing listed),
and campaign and domain statistics computed from the messages the account sent.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.messages import MessageView, isp_for
from sesflow.emulator.metrics import day_of
from sesflow.emulator.region import Record
from sesflow.emulator.tables import Table
from sesflow.emulator.verification import IDENTITIES

REPORTS = Table(
    "deliverability_reports", ("ReportId",), "Report", arn="deliverability-test-report/{ReportId}"
)
_SUBSCRIPTION_DAYS = 30
_ISPS = ("Gmail", "Hotmail", "Yahoo", "AOL", "iCloud")


def _dashboard(call: Call) -> Record:
    return dict(call.region.settings.get("Dashboard", {"DashboardEnabled": False, "SubscribedDomains": []}))


def get_options(call: Call) -> Record:
    """GetDeliverabilityDashboardOptions."""
    dashboard = _dashboard(call)
    enabled = bool(dashboard.get("DashboardEnabled"))
    answer: Record = {"DashboardEnabled": enabled, "AccountStatus": "ACTIVE" if enabled else "DISABLED"}
    if enabled:
        answer["SubscriptionExpiryDate"] = dashboard["EnabledAt"] + _SUBSCRIPTION_DAYS * 86_400
        answer["ActiveSubscribedDomains"] = dashboard.get("SubscribedDomains", [])
        answer["PendingExpirationSubscribedDomains"] = []
    return answer


def put_option(call: Call) -> Record:
    """PutDeliverabilityDashboardOption: subscribed domains must be identities of the account."""
    enabled = call.params["DashboardEnabled"]
    domains = []
    for item in call.params.get("SubscribedDomains") or []:
        domain = item.get("Domain", "")
        if call.region.get(IDENTITIES, (domain,)) is None:
            raise not_found(call, f"Domain {domain} is not an identity of this account.")
        domains.append({"SubscriptionStartDate": call.now, **item})
    dashboard = {
        "DashboardEnabled": enabled,
        "SubscribedDomains": domains if enabled else [],
        "EnabledAt": call.now,
    }
    call.region.update_settings(Dashboard=dashboard)
    return {}


def _share(seed: str, low: float, high: float) -> float:
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") / 2**32
    return round(low + (high - low) * value, 1)


def _placements(report_id: str, signed: bool) -> tuple[Record, list[Record]]:
    isps: list[Record] = []
    for isp in _ISPS:
        inbox = _share(f"{report_id}/{isp}", 80.0, 99.0)
        spam = round((100.0 - inbox) * 0.7, 1)
        isps.append(
            {
                "IspName": isp,
                "PlacementStatistics": {
                    "InboxPercentage": inbox,
                    "SpamPercentage": spam,
                    "MissingPercentage": round(100.0 - inbox - spam, 1),
                    "SpfPercentage": 100.0,
                    "DkimPercentage": 100.0 if signed else 0.0,
                },
            }
        )
    overall = {
        key: round(sum(i["PlacementStatistics"][key] for i in isps) / len(isps), 1)
        for key in (
            "InboxPercentage",
            "SpamPercentage",
            "MissingPercentage",
            "SpfPercentage",
            "DkimPercentage",
        )
    }
    return overall, isps


def create_report(call: Call) -> Record:
    """CreateDeliverabilityTestReport: IN_PROGRESS until ``--export-delay`` has passed."""
    content = call.params["Content"]
    subject = ((content.get("Simple") or {}).get("Subject") or {}).get("Data") or (
        (content.get("Template") or {}).get("TemplateName") or "(raw message)"
    )
    report_id = call.state.new_id()
    sender = call.params["FromEmailAddress"]
    domain = sender.rpartition("@")[2].lower()
    identity = call.region.get(IDENTITIES, (domain,)) or {}
    record = {
        "ReportId": report_id,
        "ReportName": call.params.get("ReportName", report_id),
        "Subject": subject,
        "FromEmailAddress": sender,
        "CreateDate": call.now,
        "DoneAt": call.now + call.state.config.export_delay,
        "Signed": bool(identity.get("SigningEnabled")),
    }
    REPORTS.insert(call, (report_id,), record, call.params.get("Tags"))
    return {"ReportId": report_id, "DeliverabilityTestStatus": "IN_PROGRESS"}


def _summary(call: Call, record: Record) -> Record:
    status = "COMPLETED" if call.now >= record["DoneAt"] else "IN_PROGRESS"
    fields = ("ReportId", "ReportName", "Subject", "FromEmailAddress", "CreateDate")
    return {**{k: record[k] for k in fields}, "DeliverabilityTestStatus": status}


def get_report(call: Call) -> Record:
    """GetDeliverabilityTestReport."""
    key = (call.params["ReportId"],)
    record = REPORTS.require(call, key)
    summary = _summary(call, record)
    if summary["DeliverabilityTestStatus"] == "COMPLETED":
        overall, isps = _placements(record["ReportId"], record["Signed"])
    else:
        overall, isps = {}, []
    return {
        "DeliverabilityTestReport": summary,
        "OverallPlacement": overall,
        "IspPlacements": isps,
        "Message": f"Subject: {record['Subject']}",
        "Tags": call.region.tags(REPORTS.arn_of(call, key)),
    }


def list_reports(call: Call) -> Record:
    """ListDeliverabilityTestReports, newest first."""
    items = sorted((_summary(call, r) for _, r in REPORTS.records(call)), key=lambda r: -r["CreateDate"])
    return paged(call, "DeliverabilityTestReports", items)


def blacklist_reports(call: Call) -> Record:
    """GetBlacklistReports: no address or domain of the emulator is on a blacklist."""
    return {"BlacklistReport": {name: [] for name in call.params["BlacklistItemNames"]}}


def _from_domain(call: Call, domain: str, start: float, end: float) -> Iterator[MessageView]:
    for view in call.state.store.window(start, end, call.region.scope):
        if view.from_address.rpartition("@")[2].lower() == domain.lower():
            yield view


def _campaigns(call: Call, domain: str, start: float, end: float) -> list[Record]:
    groups: dict[str, list[MessageView]] = defaultdict(list)
    for view in _from_domain(call, domain, start, end):
        groups[view.subject].append(view)
    campaigns = []
    for subject, views in groups.items():
        events = [e for v in views for e in v.events if e[0] <= call.now]
        delivered = sum(1 for e in events if e[1] == "DELIVERY")
        opened = len({(v.message_id, e[2]) for v in views for e in v.events if e[1] == "OPEN"})
        campaigns.append(
            {
                "CampaignId": hashlib.sha256(f"{domain}/{subject}".encode()).hexdigest()[:24],
                "Subject": subject,
                "FromAddress": views[0].from_address,
                "SendingIps": [],
                "FirstSeenDateTime": views[0].sent_at,
                "LastSeenDateTime": views[-1].sent_at,
                "InboxCount": delivered,
                "SpamCount": sum(1 for e in events if e[1] == "COMPLAINT"),
                "ReadRate": round(opened / delivered, 4) if delivered else 0.0,
                "DeleteRate": 0.0,
                "ReadDeleteRate": 0.0,
                "ProjectedVolume": sum(len(v.destinations) for v in views),
                "Esps": sorted({isp_for(d) for v in views for d in v.destinations}),
            }
        )
    return sorted(campaigns, key=lambda c: c["FirstSeenDateTime"])


def _subscribed(call: Call, domain: str) -> None:
    if domain not in {d.get("Domain") for d in _dashboard(call).get("SubscribedDomains", [])}:
        raise not_found(call, f"Domain {domain} is not subscribed in the Deliverability dashboard.")


def list_campaigns(call: Call) -> Record:
    """ListDomainDeliverabilityCampaigns: one campaign per subject sent from the domain."""
    domain = call.params["SubscribedDomain"]
    _subscribed(call, domain)
    if call.params["EndDate"] < call.params["StartDate"]:
        raise invalid(call, "EndDate must not be before StartDate.")
    campaigns = _campaigns(call, domain, call.params["StartDate"], call.params["EndDate"])
    return paged(call, "DomainDeliverabilityCampaigns", campaigns)


def get_campaign(call: Call) -> Record:
    """GetDomainDeliverabilityCampaign."""
    for item in _dashboard(call).get("SubscribedDomains", []):
        for campaign in _campaigns(call, item.get("Domain", ""), 0.0, call.now):
            if campaign["CampaignId"] == call.params["CampaignId"]:
                return {"DomainDeliverabilityCampaign": campaign}
    raise not_found(call, f"Campaign {call.params['CampaignId']} does not exist.")


def _volumes(views: list[MessageView], now: float) -> Record:
    per_isp: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    opened = delivered_total = 0
    for view in views:
        for t, kind, destination, _ in view.events:
            if t > now:
                continue
            if kind == "DELIVERY":
                per_isp[isp_for(destination)][0] += 1
                delivered_total += 1
            elif kind == "COMPLAINT":
                per_isp[isp_for(destination)][1] += 1
            elif kind == "OPEN":
                opened += 1
    inbox = sum(v[0] for v in per_isp.values())
    spam = sum(v[1] for v in per_isp.values())
    placements = [
        {
            "IspName": isp,
            "InboxRawCount": counts[0],
            "SpamRawCount": counts[1],
            "InboxPercentage": round(100.0 * counts[0] / max(sum(counts), 1), 2),
            "SpamPercentage": round(100.0 * counts[1] / max(sum(counts), 1), 2),
        }
        for isp, counts in sorted(per_isp.items())
    ]
    statistics = {
        "InboxRawCount": inbox,
        "SpamRawCount": spam,
        "ProjectedInbox": inbox,
        "ProjectedSpam": spam,
    }
    read_rate = round(100.0 * opened / delivered_total, 2) if delivered_total else 0.0
    return {"VolumeStatistics": statistics, "DomainIspPlacements": placements, "ReadRatePercent": read_rate}


def domain_statistics(call: Call) -> Record:
    """GetDomainStatisticsReport: overall and daily inbox/spam volumes of mail from the domain."""
    start, end = call.params["StartDate"], call.params["EndDate"]
    if end < start:
        raise invalid(call, "EndDate must not be before StartDate.")
    views = list(_from_domain(call, call.params["Domain"], start, end))
    days: dict[str, list[MessageView]] = defaultdict(list)
    for view in views:
        days[day_of(view.sent_at)].append(view)
    daily: list[dict[str, Any]] = []
    for _, members in sorted(days.items()):
        volumes = _volumes(members, call.now)
        volumes.pop("ReadRatePercent")
        daily.append({"StartDate": members[0].sent_at - members[0].sent_at % 86_400, **volumes})
    return {"OverallVolume": _volumes(views, call.now), "DailyVolumes": daily}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "GetDeliverabilityDashboardOptions"): get_options,
    ("sesv2", "PutDeliverabilityDashboardOption"): put_option,
    ("sesv2", "CreateDeliverabilityTestReport"): create_report,
    ("sesv2", "GetDeliverabilityTestReport"): get_report,
    ("sesv2", "ListDeliverabilityTestReports"): list_reports,
    ("sesv2", "GetBlacklistReports"): blacklist_reports,
    ("sesv2", "ListDomainDeliverabilityCampaigns"): list_campaigns,
    ("sesv2", "GetDomainDeliverabilityCampaign"): get_campaign,
    ("sesv2", "GetDomainStatisticsReport"): domain_statistics,
}
