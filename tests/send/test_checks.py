"""Checks before sending: recipients present, at most 50, size within the API's limit as encoded."""

from __future__ import annotations

import pytest

from sesflow.errors import MessageError
from sesflow.send.checks import MAX_ENCODED_BYTES, check_recipients, check_size, encoded_size


def test_no_recipient_is_refused() -> None:
    with pytest.raises(MessageError, match="no recipient"):
        check_recipients(())


def test_fifty_recipients_pass_and_fifty_one_are_refused() -> None:
    check_recipients([f"r{i}@example.com" for i in range(50)])
    with pytest.raises(MessageError, match="51 recipients"):
        check_recipients([f"r{i}@example.com" for i in range(51)])


def test_size_is_measured_base64_encoded() -> None:
    assert encoded_size(b"") == 0
    assert encoded_size(b"a") == 4
    assert encoded_size(b"abc") == 4
    assert encoded_size(b"abcd") == 8


def test_v1_limit_is_10_mb_encoded_and_v2_is_40_mb() -> None:
    fits_v1 = b"x" * (MAX_ENCODED_BYTES["v1"] // 4 * 3)
    check_size(fits_v1, "v1")
    too_big_for_v1 = fits_v1 + b"xyz"
    with pytest.raises(MessageError, match="too large"):
        check_size(too_big_for_v1, "v1")
    check_size(too_big_for_v1, "v2")
