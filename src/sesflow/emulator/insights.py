"""Message Insights and VDM: export jobs (create, get, list, cancel; files behind pre-signed URLs),
GetMessageInsights, BatchGetMetricData and GetEmailAddressInsights.

Export jobs run on the clock (``jobs``): at most ``--max-export-jobs`` at once and one CreateExportJob a
second, per account and region. Metrics need Virtual Deliverability Manager enabled on the account, as on
SES; without it CreateExportJob with a MetricsDataSource is refused naming the setting, and
BatchGetMetricData answers each query with ``ACCESS_DENIED``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sesflow.emulator import metrics
from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.exports import statistics, validate_create
from sesflow.emulator.jobs import FINAL_STATES, ExportJob
from sesflow.emulator.messages import isp_for
from sesflow.emulator.region import Record
from sesflow.emulator.sigv4 import presign_url
from sesflow.emulator.verification import IDENTITIES
from sesflow.emulator.wire import ApiError

VDM_OFF = (
    "Virtual Deliverability Manager is not enabled for this account: enable it with PutAccountVdmAttributes "
    "(VdmAttributes.VdmEnabled=ENABLED) to read VDM metrics."
)


def finish(call: Call, job: ExportJob) -> None:
    """Fix a job's statistics the first time it is seen completed."""
    if job.processed is None and job.status(call.now) == "COMPLETED":
        job.processed, job.exported = statistics(job, call.state.store)
        call.region.save_job(job)


def download_url(call: Call, job: ExportJob) -> str:
    """A fresh pre-signed URL of the job's file, on the host the client used."""
    host = call.request.host
    key, secret = call.state.url_key
    return presign_url(
        f"http://{host}",
        host,
        f"/_sesflow/exports/{job.job_id}",
        key,
        secret,
        job.region,
        call.state.config.url_ttl,
        call.now,
        {"X-Sesflow-Generation": call.state.url_generation},
    )


def _summary(call: Call, job: ExportJob) -> Record:
    finish(call, job)
    summary: Record = {
        "JobId": job.job_id,
        "ExportSourceType": job.source_type,
        "JobStatus": job.status(call.now),
        "CreatedTimestamp": job.created_at,
    }
    completed = job.completed_at(call.now)
    if completed is not None:
        summary["CompletedTimestamp"] = completed
    return summary


def _job(call: Call) -> ExportJob:
    job = call.region.jobs.get(call.params["JobId"])
    if job is None:
        raise not_found(call, f"Export job {call.params['JobId']} does not exist.")
    return job


def create_export_job(call: Call) -> Record:
    """CreateExportJob: validate, apply the job limits, start the clock."""
    now, region, state = call.now, call.region, call.state
    source_type, source, data_format = validate_create(call.params)
    if source_type == "METRICS_DATA" and not region.vdm_enabled:
        raise invalid(call, VDM_OFF)
    running = sum(1 for j in region.jobs.values() if j.status(now) in ("CREATED", "PROCESSING"))
    if running >= state.config.max_export_jobs:
        raise ApiError(
            "LimitExceededException",
            f"You have reached the maximum number of {state.config.max_export_jobs} concurrent export jobs.",
        )
    if now - region.last_export_create < 1.0:
        raise ApiError(
            "TooManyRequestsException", "Rate exceeded: at most one CreateExportJob per second.", 429
        )
    region.last_export_create = now
    job = ExportJob(
        state.new_id(),
        source_type,
        source,
        data_format,
        now,
        state.config.export_delay,
        failure=state.faults.take_export_failure(),
        reach_back=state.faults.stray_seconds,
        repeat_first=state.faults.take_repeat(),
        account=region.account,
        region=region.name,
        extra={"identities": [k[0] for k in region.table(IDENTITIES)]}
        if source_type == "METRICS_DATA"
        else {},
    )
    region.save_job(job)
    return {"JobId": job.job_id}


def get_export_job(call: Call) -> Record:
    """GetExportJob: state, statistics, and once COMPLETED a fresh pre-signed download URL."""
    job = _job(call)
    answer = _summary(call, job)
    answer["ExportDataSource"] = job.data_source
    destination: Record = {"DataFormat": job.data_format}
    if answer["JobStatus"] == "COMPLETED":
        destination["S3Url"] = download_url(call, job)
        answer["Statistics"] = {
            "ProcessedRecordsCount": job.processed or 0,
            "ExportedRecordsCount": job.exported or 0,
        }
    elif answer["JobStatus"] == "FAILED":
        answer["FailureInfo"] = {"ErrorMessage": job.failure}
    answer["ExportDestination"] = destination
    return answer


def list_export_jobs(call: Call) -> Record:
    """ListExportJobs: newest first, filtered by type and status, paged."""
    jobs = sorted(call.region.jobs.values(), key=lambda j: j.created_at, reverse=True)
    summaries = [
        s
        for s in (_summary(call, j) for j in jobs)
        if call.params.get("ExportSourceType") in (None, s["ExportSourceType"])
        and call.params.get("JobStatus") in (None, s["JobStatus"])
    ]
    return paged(call, "ExportJobs", summaries)


def cancel_export_job(call: Call) -> Record:
    """CancelExportJob: only a job that has not finished."""
    job = _job(call)
    status = job.status(call.now)
    if status in FINAL_STATES:
        raise invalid(call, f"Export job {job.job_id} is {status} and cannot be cancelled.")
    job.cancelled_at = call.now
    call.region.save_job(job)
    return {}


def get_message_insights(call: Call) -> Record:
    """GetMessageInsights: the per-destination event timeline (events up to now)."""
    view = call.state.store.find(call.params["MessageId"])
    if view is None or (view.account, view.region) != call.region.scope:
        raise not_found(call, f"Message {call.params['MessageId']} does not exist.")
    insights = []
    for destination in view.destinations:
        events = [
            {"Timestamp": t, "Type": kind, **({"Details": details} if details else {})}
            for t, kind, dest, details in view.events
            if dest == destination and t <= call.now
        ]
        insights.append({"Destination": destination, "Isp": isp_for(destination), "Events": events})
    return {
        "MessageId": view.message_id,
        "FromEmailAddress": view.from_address,
        "Subject": view.subject,
        "EmailTags": [{"Name": k, "Value": v} for k, v in view.tags],
        "Insights": insights,
    }


def _days(start: float, end: float) -> list[str]:
    first = datetime.fromtimestamp(start, UTC).date()
    last = datetime.fromtimestamp(end, UTC).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def batch_get_metric_data(call: Call) -> Record:
    """BatchGetMetricData: each query's daily volumes (ACCESS_DENIED per query while VDM is disabled)."""
    results: list[Record] = []
    errors: list[Record] = []
    identities = frozenset(k[0] for k in call.region.table(IDENTITIES))
    for query in call.params["Queries"]:
        start, end = query["StartDate"], query["EndDate"]
        if not call.region.vdm_enabled:
            errors.append({"Id": query["Id"], "Code": "ACCESS_DENIED", "Message": VDM_OFF})
            continue
        if end < start or end - start > 366 * 86_400:
            raise invalid(call, f"Query {query['Id']}: EndDate must follow StartDate, at most a year later.")
        dimensions = {name: [value] for name, value in (query.get("Dimensions") or {}).items()}
        messages = metrics.counted(call.state.store, start, min(end, call.now), call.region.scope, call.now)
        totals = metrics.aggregate(messages, dimensions, identities)
        index = metrics.METRICS.index(query["Metric"])
        per_day: dict[str, int] = {}
        for (day, _), bucket in totals.items():
            name = metrics.day_of(day * 86_400)
            per_day[name] = per_day.get(name, 0) + bucket[index]
        days = _days(start, end)
        results.append(
            {
                "Id": query["Id"],
                "Timestamps": [datetime.fromisoformat(d).replace(tzinfo=UTC).timestamp() for d in days],
                "Values": [per_day.get(d, 0) for d in days],
            }
        )
    return {"Results": results, "Errors": errors}


_ROLES = frozenset(
    {
        "admin", "info", "support", "sales", "contact", "noreply", "no-reply", "postmaster", "abuse",
        "webmaster", "help", "office", "billing", "marketing", "team",
    }
)  # fmt: skip
_DISPOSABLE = frozenset(
    {
        "mailinator.com", "10minutemail.com", "guerrillamail.com", "tempmail.com", "yopmail.com",
        "trashmail.com", "sharklasers.com", "getnada.com",
    }
)  # fmt: skip


def _verdict(good: bool) -> dict[str, str]:
    return {"ConfidenceVerdict": "HIGH" if good else "LOW"}


def get_email_address_insights(call: Call) -> Record:
    """GetEmailAddressInsights: syntax, DNS (any dotted domain but .invalid/.test), mailbox (not a known
    hard bounce: the simulator's bounce@ or a BOUNCE on the suppression list), role, disposable and random
    input checks."""
    address = call.params["EmailAddress"]
    local, at, domain = address.rpartition("@")
    domain = domain.lower()
    syntax = bool(at and local and "." in domain and " " not in address)
    dns = syntax and not domain.endswith((".invalid", ".test", ".example"))
    entry = call.region.get("suppressed", ("", address.lower()))
    bounced = local.lower().startswith("bounce") and domain == "simulator.amazonses.com"
    exists = dns and not bounced and not (entry is not None and entry.get("Reason") == "BOUNCE")
    role = local.lower() in _ROLES
    disposable = domain in _DISPOSABLE
    vowels = sum(c in "aeiou" for c in local.lower())
    random_input = len(local) >= 12 and vowels / max(len(local), 1) < 0.15
    valid = syntax and dns and exists and not disposable
    evaluations: dict[str, Any] = {
        "HasValidSyntax": _verdict(syntax),
        "HasValidDnsRecords": _verdict(dns),
        "MailboxExists": _verdict(exists),
        "IsRoleAddress": _verdict(role),
        "IsDisposable": _verdict(disposable),
        "IsRandomInput": _verdict(random_input),
    }
    verdict = "HIGH" if valid and not role and not random_input else ("MEDIUM" if valid else "LOW")
    return {"MailboxValidation": {"IsValid": {"ConfidenceVerdict": verdict}, "Evaluations": evaluations}}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateExportJob"): create_export_job,
    ("sesv2", "GetExportJob"): get_export_job,
    ("sesv2", "ListExportJobs"): list_export_jobs,
    ("sesv2", "CancelExportJob"): cancel_export_job,
    ("sesv2", "GetMessageInsights"): get_message_insights,
    ("sesv2", "BatchGetMetricData"): batch_get_metric_data,
    ("sesv2", "GetEmailAddressInsights"): get_email_address_insights,
}
