"""The parameters of one raw send, as botocore's ``send_email`` (v2) and ``send_raw_email`` (v1) take them.

Per-message SES options are written in the v2 spelling (``Message.ses``); for v1 they are renamed here, and
the ones v1 lacks are refused (``check_options`` in ``send/checks.py`` does that before anything is sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sesflow.errors import MessageError
from sesflow.send.transport import RawEmail

# Per-message SES options (v2 spelling) and their v1 SendRawEmail counterparts; None = not in v1.
V2_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "ConfigurationSetName": ("ConfigurationSetName",),
    "EmailTags": ("Tags",),
    "FromEmailAddressIdentityArn": ("FromArn", "SourceArn"),
    "ListManagementOptions": None,
    "FeedbackForwardingEmailAddress": None,
    "FeedbackForwardingEmailAddressIdentityArn": None,
    "EndpointId": None,
    "TenantName": None,
}
V1_NATIVE_OPTIONS = frozenset({"Tags", "FromArn", "SourceArn", "ReturnPathArn"})


def option_params(options: Mapping[str, Any], api: str) -> dict[str, Any]:
    """``options`` as request parameters of ``api``; MessageError for an unknown or v2-only option."""
    params: dict[str, Any] = {}
    for key, value in options.items():
        if key not in V2_OPTIONS and not (api == "v1" and key in V1_NATIVE_OPTIONS):
            raise MessageError(
                f"Unknown SES send option {key!r}.",
                hint="Known options: " + ", ".join(sorted(V2_OPTIONS)) + ".",
            )
        if api == "v2":
            params[key] = value
            continue
        names = V2_OPTIONS.get(key, (key,))
        if names is None:
            raise MessageError(
                f"The SES option {key!r} exists only in the v2 API.",
                hint="Send with api='v2' (--api v2).",
            )
        for name in names:
            params[name] = value
    return params


def request_params(email: RawEmail, api: str) -> dict[str, Any]:
    """The whole parameter set of one SendEmail (v2) or SendRawEmail (v1) call for ``email``."""
    params: dict[str, Any]
    if api == "v2":
        params = {
            "FromEmailAddress": email.from_,
            "Destination": {"ToAddresses": list(email.to)},
            "Content": {"Raw": {"Data": email.raw}},
        }
    else:
        params = {
            "Source": email.from_,
            "Destinations": list(email.to),
            "RawMessage": {"Data": email.raw},
        }
    params.update(option_params(email.options, api))
    return params


__all__ = ["V1_NATIVE_OPTIONS", "V2_OPTIONS", "option_params", "request_params"]
