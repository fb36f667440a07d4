"""Import jobs: bulk changes to the suppression list or the contact list from a file (CSV or JSON Lines).

SES reads the file from S3. The emulator keeps a few objects of its own: ``PUT /_sesflow/s3/BUCKET/KEY``
stores one, and an import of ``s3://BUCKET/KEY`` reads it (a missing object ends the job FAILED, saying how
to put it). The rows are applied when the job is created; the job then runs on the clock like an export
job (COMPLETED after ``--export-delay``), with the processed and failed row counts of the file.

Rows: suppression list ``address,REASON`` (CSV) or ``{"emailAddress": ..., "reason": ...}``; contact list
``address[,unsubscribeAll[,attributesData]]`` or ``{"emailAddress": ..., "unsubscribeAll": ...,
"attributesData": ..., "topicPreferences": [{"topicName": ..., "subscriptionStatus": ...}]}``.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.contacts import CONTACT_LISTS, CONTACTS
from sesflow.emulator.jobs import ExportJob
from sesflow.emulator.region import Record
from sesflow.emulator.suppression import suppress

IMPORT_JOBS = "import_jobs"
MAX_ROWS = 100_000


def _rows(data: bytes, data_format: str) -> list[dict[str, Any]]:
    text = data.decode("utf-8-sig")
    if data_format == "JSON":
        return [orjson.loads(line) for line in text.splitlines() if line.strip()]
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        cells = [c.strip() for c in cells]
        if not cells or not cells[0] or cells[0].lower() == "emailaddress":
            continue
        rows.append(dict(zip(("emailAddress", "second", "third"), cells, strict=False)))
    return rows


def _apply(call: Call, destination: Record, rows: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """Apply the rows; (processed, problems)."""
    problems: list[str] = []
    suppression = destination.get("SuppressionListDestination")
    contacts = destination.get("ContactListDestination")
    for number, row in enumerate(rows, 1):
        address = str(row.get("emailAddress") or "")
        if "@" not in address:
            problems.append(f"row {number}: {address!r} is not an email address")
            continue
        if suppression is not None:
            reason = str(row.get("reason") or row.get("second") or "").upper()
            key = ("", address.lower())
            if suppression["SuppressionListImportAction"] == "DELETE":
                call.region.remove("suppressed", key)
            elif reason not in ("BOUNCE", "COMPLAINT"):
                problems.append(f"row {number}: reason {reason!r} is not BOUNCE or COMPLAINT")
            else:
                suppress(call.region, address, reason, call.now)
        elif contacts is not None:
            key = (contacts["ContactListName"], address.lower())
            if contacts["ContactListImportAction"] == "DELETE":
                call.region.remove(CONTACTS.name, key)
                continue
            record = dict(call.region.get(CONTACTS.name, key) or {"CreatedTimestamp": call.now})
            unsubscribe = row.get("unsubscribeAll", row.get("second"))
            record.update(ContactListName=key[0], EmailAddress=address, LastUpdatedTimestamp=call.now,
                          UnsubscribeAll=str(unsubscribe).lower() == "true")  # fmt: skip
            if row.get("attributesData") or row.get("third"):
                record["AttributesData"] = str(row.get("attributesData") or row.get("third"))
            preferences = row.get("topicPreferences")
            if isinstance(preferences, list):
                record["TopicPreferences"] = [
                    {"TopicName": p.get("topicName"), "SubscriptionStatus": p.get("subscriptionStatus")}
                    for p in preferences
                ]
            call.region.save(CONTACTS.name, key, record)
    return len(rows), problems


def _read(call: Call, url: str) -> bytes:
    parts = urlsplit(url)
    path = f"{parts.netloc}{unquote(parts.path)}"
    data = call.state.get_object(path)
    if data is None:
        raise OSError(f"NoSuchKey: {url} does not exist (put it first: PUT /_sesflow/s3/{path})")
    return data


def create_import_job(call: Call) -> Record:
    """CreateImportJob: read the file, apply its rows, and start the job's clock."""
    destination, source = call.params["ImportDestination"], call.params["ImportDataSource"]
    if bool(destination.get("SuppressionListDestination")) == bool(destination.get("ContactListDestination")):
        raise invalid(call, "Give exactly one of SuppressionListDestination and ContactListDestination.")
    if destination.get("ContactListDestination"):
        CONTACT_LISTS.require(call, (destination["ContactListDestination"]["ContactListName"],))
    job_id = call.state.new_id()
    record: Record = {
        "JobId": job_id,
        "ImportDestination": destination,
        "ImportDataSource": source,
        "CreatedTimestamp": call.now,
        "ProcessedRecordsCount": 0,
        "FailedRecordsCount": 0,
    }
    try:
        rows = _rows(_read(call, source["S3Url"]), source["DataFormat"])
        if len(rows) > MAX_ROWS:
            raise ValueError(f"the file has {len(rows)} rows; an import takes at most {MAX_ROWS}")
        processed, problems = _apply(call, destination, rows)
        record.update(ProcessedRecordsCount=processed, FailedRecordsCount=len(problems))
        if problems:
            record["FailureInfo"] = {"ErrorMessage": "; ".join(problems[:10])}
    except (OSError, ValueError, orjson.JSONDecodeError, UnicodeDecodeError) as error:
        record["Failure"] = str(error)
        record["FailureInfo"] = {"ErrorMessage": str(error)}
    call.region.save(IMPORT_JOBS, (job_id,), record)
    return {"JobId": job_id}


def _status(call: Call, record: Record) -> str:
    clock = ExportJob("", "", {}, "", record["CreatedTimestamp"], call.state.config.export_delay,
                      failure=record.get("Failure"))  # fmt: skip
    return clock.status(call.now)


def _view(call: Call, record: Record) -> Record:
    shown = {k: v for k, v in record.items() if k != "Failure"}
    status = _status(call, record)
    shown["JobStatus"] = status
    if status in ("COMPLETED", "FAILED"):
        shown["CompletedTimestamp"] = record["CreatedTimestamp"] + call.state.config.export_delay
    else:
        shown.pop("FailureInfo", None)
    return shown


def get_import_job(call: Call) -> Record:
    """GetImportJob."""
    record = call.region.get(IMPORT_JOBS, (call.params["JobId"],))
    if record is None:
        raise not_found(call, f"Import job {call.params['JobId']} does not exist.")
    return _view(call, record)


def list_import_jobs(call: Call) -> Record:
    """ListImportJobs (by destination type), newest first."""
    kind = call.params.get("ImportDestinationType")
    key = {"SUPPRESSION_LIST": "SuppressionListDestination", "CONTACT_LIST": "ContactListDestination"}.get(
        kind or ""
    )
    items = [
        _view(call, r)
        for r in sorted(call.region.table(IMPORT_JOBS).values(), key=lambda r: -r["CreatedTimestamp"])
        if key is None or r["ImportDestination"].get(key)
    ]
    fields = (
        "JobId",
        "ImportDestination",
        "JobStatus",
        "CreatedTimestamp",
        "ProcessedRecordsCount",
        "FailedRecordsCount",
    )
    return paged(call, "ImportJobs", [{k: i[k] for k in fields if k in i} for i in items])


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateImportJob"): create_import_job,
    ("sesv2", "GetImportJob"): get_import_job,
    ("sesv2", "ListImportJobs"): list_import_jobs,
}
