"""RetryPolicy: exponential backoff with full jitter, only for errors SES certainly did not accept."""

from __future__ import annotations

import pytest

from sesflow.errors import (
    ConfigError,
    ConnectionFailedError,
    DailyQuotaExceededError,
    MessageRejectedError,
    OutcomeUnknownError,
    ServiceUnavailableError,
    ThrottlingError,
)
from sesflow.send import NO_RETRY, RetryPolicy


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (30, 1.0)]:
        delays = [policy.backoff(retry) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the whole range, not a fixed step


@pytest.mark.parametrize(
    "error", [ThrottlingError("t"), ServiceUnavailableError("5xx"), ConnectionFailedError("refused")]
)
def test_errors_ses_did_not_accept_are_retried(error: Exception) -> None:
    assert RetryPolicy().next_delay(error, attempts=1, elapsed=0.0) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        DailyQuotaExceededError("quota", code="Throttling"),
        MessageRejectedError("no"),
        OutcomeUnknownError("?"),
    ],
)
def test_final_errors_are_not_retried(error: Exception) -> None:
    assert RetryPolicy().next_delay(error, attempts=1, elapsed=0.0) is None  # type: ignore[arg-type]


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.next_delay(ThrottlingError("t"), attempts=2, elapsed=0.0) is not None
    assert policy.next_delay(ThrottlingError("t"), attempts=3, elapsed=0.0) is None


def test_no_retry_starts_after_the_deadline() -> None:
    policy = RetryPolicy(deadline=10.0)
    assert policy.next_delay(ThrottlingError("t"), attempts=1, elapsed=10.0) is None


def test_no_retry_policy_never_retries() -> None:
    assert NO_RETRY.next_delay(ThrottlingError("t"), attempts=1, elapsed=0.0) is None


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigError, match="deadline"):
        RetryPolicy(deadline=-1)
