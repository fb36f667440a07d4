"""--auth strict: SigV4 checked for v1, v2 and the pre-signed download URL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.conftest import client
from tests.emulator.test_exports import DAY0, insights_source, run_job
from tests.emulator.test_sending import error_of, raw

KEY, SECRET = "AKIDSTRICT", "s3cr3t"


@pytest.fixture
def strict(make_emulator: Any) -> Any:
    return make_emulator(auth="strict", credentials=[(KEY, SECRET)])


def test_good_signatures_pass_v1_and_v2(strict: Any) -> None:
    client("sesv2", strict, KEY, SECRET).send_email(Content={"Raw": {"Data": raw()}})
    client("ses", strict, KEY, SECRET).send_raw_email(RawMessage={"Data": raw()})
    client("sesv2", strict, KEY, SECRET).put_suppressed_destination(EmailAddress="a+b@x.org", Reason="BOUNCE")
    client("sesv2", strict, KEY, SECRET).get_suppressed_destination(EmailAddress="a+b@x.org")


def test_unknown_key_is_invalid_client_token_id(strict: Any) -> None:
    assert error_of(client("sesv2", strict, "AKIDOTHER", SECRET).get_account)[:2] == (
        "InvalidClientTokenId",
        403,
    )
    assert error_of(client("ses", strict, "AKIDOTHER", SECRET).get_send_quota)[:2] == (
        "InvalidClientTokenId",
        403,
    )


def test_wrong_secret_is_signature_does_not_match(strict: Any) -> None:
    assert error_of(client("sesv2", strict, KEY, "wrong").get_account)[:2] == ("SignatureDoesNotMatch", 403)
    ses = client("ses", strict, KEY, "wrong")
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()})[:2] == ("SignatureDoesNotMatch", 403)


def test_presigned_url_is_signed_with_the_configured_key(strict: Any) -> None:
    sesv2 = client("sesv2", strict, KEY, SECRET)
    url = run_job(sesv2, insights_source(DAY0, DAY0))["ExportDestination"]["S3Url"]
    assert f"X-Amz-Credential={KEY}%2F" in url
    assert httpx.get(url).status_code == 200
    forged = url[: url.index("X-Amz-Signature=")] + "X-Amz-Signature=" + "0" * 64
    assert httpx.get(forged).status_code == 403


def test_any_mode_accepts_any_key(emulator: Any) -> None:
    client("sesv2", emulator, "whatever", "at-all").get_account()


def test_old_signature_and_a_region_that_is_no_region_are_refused(
    strict: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    def signed(region: str) -> httpx.Response:
        request = AWSRequest("GET", f"{strict.endpoint_url}/v2/email/account")
        botocore.auth.SigV4Auth(Credentials(KEY, SECRET), "ses", region).add_auth(request)
        return httpx.get(request.url, headers=dict(request.headers))

    assert signed("us-east-1").status_code == 200
    assert signed("eu-west-1").status_code == 200  # every region is served, each with its own state
    wrong = signed("moon-base")
    assert wrong.status_code == 403 and wrong.headers["x-amzn-errortype"] == "SignatureDoesNotMatch"
    # botocore reads its clock through get_current_datetime: sign as if it were 2020.
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: dt.datetime(2020, 1, 1))
    old = signed("us-east-1")
    assert old.status_code == 403 and "Signature expired" in old.text
