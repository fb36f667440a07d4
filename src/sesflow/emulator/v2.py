"""SES v2 (REST-JSON, ``/v2/email/...``): routes come from botocore's ``sesv2`` model; each implemented
operation is a small function of (state, request, path parameters, JSON body).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import unquote

import orjson

from sesflow.emulator.exports import FINAL_STATES, ExportJob, echo_source, validate_create
from sesflow.emulator.messages import isp_for
from sesflow.emulator.sending import Outgoing, bare_address, simple_raw
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request, Response, json_response

Handler = Callable[[EmulatorState, Request, dict[str, str], dict[str, Any]], Response]


@cache
def input_shape(operation: str, service: str = "sesv2") -> Any:
    """botocore's input shape of an operation of ``sesv2`` (or ``ses``)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape


@cache
def _routes() -> tuple[dict[tuple[str, str], str], list[tuple[str, re.Pattern[str], str]]]:
    """(exact routes, pattern routes) of every sesv2 operation, from botocore's model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sesv2")
    exact: dict[tuple[str, str], str] = {}
    patterns: list[tuple[str, re.Pattern[str], str]] = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?")[0]
        if "{" not in path:
            exact[(http["method"], path)] = name
            continue
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        patterns.append((http["method"], re.compile(f"^{regex}$"), name))
    return exact, patterns


def resolve(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(operation name, path parameters) for a v2 request, or None when no operation has that route."""
    exact, patterns = _routes()
    name = exact.get((method, path))
    if name is not None:
        return name, {}
    for route_method, regex, op in patterns:
        if route_method == method:
            found = regex.match(path)
            if found:
                return op, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _tags(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(t, dict) and "Name" in t and "Value" in t for t in value
    ):
        raise ApiError("BadRequestException", "EmailTags must be a list of {Name, Value}.")
    return [(str(t["Name"]), str(t["Value"])) for t in value]


def _addresses(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise ApiError("BadRequestException", f"{field} must be a list of email addresses.")
    return [bare_address(a) for a in value]


def send_email(state: EmulatorState, req: Request, _: dict[str, str], body: dict[str, Any]) -> Response:
    """SendEmail with Raw or Simple content."""
    content = body.get("Content")
    if not isinstance(content, dict):
        raise ApiError("BadRequestException", "Content is required.")
    destination = body.get("Destination") or {}
    if not isinstance(destination, dict):
        raise ApiError("BadRequestException", "Destination must be an object.")
    to = _addresses(destination.get("ToAddresses"), "ToAddresses")
    cc = _addresses(destination.get("CcAddresses"), "CcAddresses")
    bcc = _addresses(destination.get("BccAddresses"), "BccAddresses")
    from_address = body.get("FromEmailAddress")
    if from_address is not None and not isinstance(from_address, str):
        raise ApiError("BadRequestException", "FromEmailAddress must be a string.")
    if "Raw" in content:
        data = (content.get("Raw") or {}).get("Data")
        if not isinstance(data, str) or not data:
            raise ApiError("BadRequestException", "Content.Raw.Data is required.")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("BadRequestException", "Content.Raw.Data is not valid base64.") from None
    elif "Simple" in content:
        simple = content.get("Simple") or {}
        subject = (simple.get("Subject") or {}).get("Data")
        body_part = simple.get("Body") or {}
        text = (body_part.get("Text") or {}).get("Data")
        html = (body_part.get("Html") or {}).get("Data")
        if subject is None:
            raise ApiError("BadRequestException", "Content.Simple.Subject.Data is required.")
        if text is None and html is None:
            raise ApiError("BadRequestException", "Content.Simple.Body needs Text or Html.")
        if not from_address:
            raise ApiError("BadRequestException", "FromEmailAddress is required for Simple content.")
        raw = simple_raw(from_address, to, cc, subject, text, html, body.get("ReplyToAddresses"))
    elif "Template" in content:
        raise ApiError("BadRequestException", "Template content is not supported by the sesflow emulator.")
    else:
        raise ApiError("BadRequestException", "Content needs one of Simple, Raw or Template.")
    destinations = to + cc + bcc
    out = Outgoing(
        "SendEmail",
        "v2",
        bare_address(from_address) if from_address else None,
        destinations or None,
        raw,
        _tags(body.get("EmailTags")),
        body.get("ConfigurationSetName"),
    )
    message_id = state.sender.send(out, req.received_at)
    return json_response({"MessageId": message_id})


def get_account(state: EmulatorState, req: Request, _: dict[str, str], __: dict[str, Any]) -> Response:
    """GetAccount: the send quota and account switches."""
    config = state.config
    return json_response(
        {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": True,
            "SendingEnabled": True,
            "SendQuota": {
                "Max24HourSend": float(config.max_24h_send),
                "MaxSendRate": float(config.max_send_rate),
                "SentLast24Hours": float(state.sender.limiter.sent_last_24h(req.received_at)),
            },
            "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
            "VdmAttributes": {
                "VdmEnabled": "ENABLED",
                "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
                "GuardianAttributes": {"OptimizedSharedDelivery": "DISABLED"},
            },
        }
    )


def _job_summary(state: EmulatorState, job: ExportJob, now: float) -> dict[str, Any]:
    state.finish(job, now)
    summary: dict[str, Any] = {
        "JobId": job.job_id,
        "ExportSourceType": job.source_type,
        "JobStatus": job.status(now),
        "CreatedTimestamp": job.created_at,
    }
    completed = job.completed_at(now)
    if completed is not None:
        summary["CompletedTimestamp"] = completed
    return summary


def create_export_job(
    state: EmulatorState, req: Request, _: dict[str, str], body: dict[str, Any]
) -> Response:
    """CreateExportJob: validate, apply the job limits, start the clock."""
    now = req.received_at
    source_type, source, data_format = validate_create(body)
    running = sum(1 for j in state.store.jobs.values() if j.status(now) in ("CREATED", "PROCESSING"))
    if running >= state.config.max_export_jobs:
        raise ApiError(
            "LimitExceededException",
            f"You have reached the maximum number of {state.config.max_export_jobs} concurrent export jobs.",
        )
    if now - state.last_export_create < 1.0:
        raise ApiError(
            "TooManyRequestsException", "Rate exceeded: at most one CreateExportJob per second.", 429
        )
    state.last_export_create = now
    job = ExportJob(
        state.new_job_id(),
        source_type,
        source,
        data_format,
        now,
        state.config.export_delay,
        failure=state.faults.take_export_failure(),
        reach_back=state.faults.stray_seconds,
        repeat_first=state.faults.take_repeat(),
    )
    state.store.save_job(job)
    return json_response({"JobId": job.job_id})


def _job(state: EmulatorState, job_id: str) -> ExportJob:
    job = state.store.jobs.get(job_id)
    if job is None:
        raise ApiError("NotFoundException", f"Export job {job_id} does not exist.", 404)
    return job


def get_export_job(state: EmulatorState, req: Request, params: dict[str, str], _: dict[str, Any]) -> Response:
    """GetExportJob: status, statistics and (when COMPLETED) the pre-signed download URL."""
    now = req.received_at
    job = _job(state, params["JobId"])
    answer = _job_summary(state, job, now)
    answer["ExportDataSource"] = echo_source(job)
    destination: dict[str, Any] = {"DataFormat": job.data_format}
    status = answer["JobStatus"]
    if status == "COMPLETED":
        destination["S3Url"] = state.download_url(job, req, now)
        answer["Statistics"] = {
            "ProcessedRecordsCount": job.processed or 0,
            "ExportedRecordsCount": job.exported or 0,
        }
    elif status == "FAILED":
        answer["FailureInfo"] = {"ErrorMessage": job.failure}
    answer["ExportDestination"] = destination
    return json_response(answer)


def list_export_jobs(state: EmulatorState, req: Request, _: dict[str, str], body: dict[str, Any]) -> Response:
    """ListExportJobs: newest first, filtered by type and status, paged with NextToken."""
    now = req.received_at
    page_size = body.get("PageSize", 100)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 100:
        raise ApiError("BadRequestException", "PageSize must be between 1 and 100.")
    token = body.get("NextToken")
    start = 0
    if token is not None:
        try:
            start = int(base64.urlsafe_b64decode(str(token)).decode())
        except (ValueError, binascii.Error):
            raise ApiError("BadRequestException", "Invalid NextToken.") from None
    jobs = sorted(state.store.jobs.values(), key=lambda j: j.created_at, reverse=True)
    summaries = [
        s
        for s in (_job_summary(state, j, now) for j in jobs)
        if body.get("ExportSourceType") in (None, s["ExportSourceType"])
        and body.get("JobStatus") in (None, s["JobStatus"])
    ]
    page = summaries[start : start + page_size]
    answer: dict[str, Any] = {"ExportJobs": page}
    if start + page_size < len(summaries):
        answer["NextToken"] = base64.urlsafe_b64encode(str(start + page_size).encode()).decode()
    return json_response(answer)


def cancel_export_job(
    state: EmulatorState, req: Request, params: dict[str, str], _: dict[str, Any]
) -> Response:
    """CancelExportJob: only a job that has not finished."""
    now = req.received_at
    job = _job(state, params["JobId"])
    status = job.status(now)
    if status in FINAL_STATES:
        raise ApiError("BadRequestException", f"Export job {job.job_id} is {status} and cannot be cancelled.")
    job.cancelled_at = now
    state.store.save_job(job)
    return json_response({})


def get_message_insights(
    state: EmulatorState, req: Request, params: dict[str, str], _: dict[str, Any]
) -> Response:
    """GetMessageInsights: the per-destination event timeline (events up to now)."""
    now = req.received_at
    view = state.store.find(params["MessageId"])
    if view is None:
        raise ApiError("NotFoundException", f"Message {params['MessageId']} does not exist.", 404)
    insights = []
    for destination in view.destinations:
        events = [
            {"Timestamp": t, "Type": kind, **({"Details": details} if details else {})}
            for t, kind, dest, details in view.events
            if dest == destination and t <= now
        ]
        insights.append({"Destination": destination, "Isp": isp_for(destination), "Events": events})
    return json_response(
        {
            "MessageId": view.message_id,
            "FromEmailAddress": view.from_address,
            "Subject": view.subject,
            "EmailTags": [{"Name": k, "Value": v} for k, v in view.tags],
            "Insights": insights,
        }
    )


def parse_body(req: Request) -> dict[str, Any]:
    """The JSON body of a v2 request ({} when empty); malformed -> BadRequestException."""
    if not req.body:
        return {}
    try:
        body = orjson.loads(req.body)
    except orjson.JSONDecodeError:
        raise ApiError("BadRequestException", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("BadRequestException", "The request body must be a JSON object.")
    return body


HANDLERS: dict[str, Handler] = {
    "SendEmail": send_email,
    "GetAccount": get_account,
    "CreateExportJob": create_export_job,
    "GetExportJob": get_export_job,
    "ListExportJobs": list_export_jobs,
    "CancelExportJob": cancel_export_job,
    "GetMessageInsights": get_message_insights,
}


def _register_resources() -> None:
    from sesflow.emulator.resources import HANDLERS as RESOURCE_HANDLERS

    HANDLERS.update(RESOURCE_HANDLERS)


_register_resources()
