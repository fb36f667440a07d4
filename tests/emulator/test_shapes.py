"""The shape validator the other tests rely on catches what it must."""

from __future__ import annotations

import botocore.session

from tests.emulator.shapes import problems

MODEL = botocore.session.get_session().get_service_model("sesv2")


def output(operation: str) -> object:
    return MODEL.operation_model(operation).output_shape


def test_a_conforming_response_passes() -> None:
    body = {
        "JobId": "j",
        "JobStatus": "COMPLETED",
        "CreatedTimestamp": 1.5,
        "Statistics": {"ExportedRecordsCount": 3},
    }
    assert problems(output("GetExportJob"), body, raw=True) == []  # type: ignore[arg-type]


def test_unknown_members_wrong_types_bad_enums_and_missing_required_fail() -> None:
    found = problems(
        output("GetExportJob"),  # type: ignore[arg-type]
        {
            "JobId": 5,
            "JobStatus": "DONE",
            "Extra": 1,
            "ExportDestination": {},
            "Statistics": {"ExportedRecordsCount": "3"},
        },
        raw=True,
    )
    assert any("JobId: expected string" in p for p in found)
    assert any("not in enum" in p for p in found)
    assert any("unknown member Extra" in p for p in found)
    assert any("missing required member DataFormat" in p for p in found)
    assert any("expected integer" in p for p in found)
