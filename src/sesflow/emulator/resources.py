"""SES v2 account resources: email identities, configuration sets and the account suppression list."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request, Response, json_response


def _page(items: list[Any], body: dict[str, Any], size_key: str = "PageSize") -> tuple[list[Any], str | None]:
    size = body.get(size_key) or 1000
    token = body.get("NextToken")
    try:
        start = int(base64.urlsafe_b64decode(str(token)).decode()) if token else 0
        size = int(size)
    except (ValueError, binascii.Error):
        raise ApiError("BadRequestException", "Invalid NextToken or PageSize.") from None
    if size < 1:
        raise ApiError("BadRequestException", "PageSize must be at least 1.")
    page = items[start : start + size]
    nxt = base64.urlsafe_b64encode(str(start + size).encode()).decode() if start + size < len(items) else None
    return page, nxt


def _identity_type(name: str) -> str:
    return "EMAIL_ADDRESS" if "@" in name else "DOMAIN"


def create_email_identity(
    state: EmulatorState, req: Request, _: dict[str, str], body: dict[str, Any]
) -> Response:
    """CreateEmailIdentity (verified at once)."""
    name = body.get("EmailIdentity")
    if not isinstance(name, str) or not name or ("@" not in name and "." not in name):
        raise ApiError("BadRequestException", "EmailIdentity must be an email address or a domain.")
    if name in state.store.identities:
        raise ApiError("AlreadyExistsException", f"Email identity {name} already exist.")
    state.store.add_identity(name, _identity_type(name), req.received_at)
    answer: dict[str, Any] = {"IdentityType": _identity_type(name), "VerifiedForSendingStatus": True}
    if "@" not in name:
        answer["DkimAttributes"] = {
            "SigningEnabled": True,
            "Status": "SUCCESS",
            "SigningAttributesOrigin": "AWS_SES",
        }
    return json_response(answer)


def _identity(state: EmulatorState, name: str) -> str:
    if name not in state.store.identities:
        raise ApiError("NotFoundException", f"Email identity {name} does not exist.", 404)
    return state.store.identities[name][0]


def get_email_identity(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """GetEmailIdentity."""
    kind = _identity(state, params["EmailIdentity"])
    return json_response(
        {
            "IdentityType": kind,
            "FeedbackForwardingStatus": True,
            "VerifiedForSendingStatus": True,
            "VerificationStatus": "SUCCESS",
            "Policies": {},
            "Tags": [],
            "DkimAttributes": {
                "SigningEnabled": kind == "DOMAIN",
                "Status": "SUCCESS" if kind == "DOMAIN" else "NOT_STARTED",
            },
        }
    )


def list_email_identities(
    state: EmulatorState, _: Request, __: dict[str, str], body: dict[str, Any]
) -> Response:
    """ListEmailIdentities (paged)."""
    items = [
        {"IdentityType": kind, "IdentityName": name, "SendingEnabled": True, "VerificationStatus": "SUCCESS"}
        for name, (kind, _) in sorted(state.store.identities.items())
    ]
    page, nxt = _page(items, body)
    answer: dict[str, Any] = {"EmailIdentities": page}
    if nxt:
        answer["NextToken"] = nxt
    return json_response(answer)


def delete_email_identity(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """DeleteEmailIdentity."""
    _identity(state, params["EmailIdentity"])
    state.store.delete_identity(params["EmailIdentity"])
    return json_response({})


def create_configuration_set(
    state: EmulatorState, _: Request, __: dict[str, str], body: dict[str, Any]
) -> Response:
    """CreateConfigurationSet."""
    name = body.get("ConfigurationSetName")
    if not isinstance(name, str) or not name:
        raise ApiError("BadRequestException", "ConfigurationSetName is required.")
    if name in state.store.config_sets:
        raise ApiError("AlreadyExistsException", f"Configuration set <{name}> already exists.")
    state.store.put_config_set(name, body)
    return json_response({})


def get_configuration_set(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """GetConfigurationSet."""
    name = params["ConfigurationSetName"]
    body = state.store.config_sets.get(name)
    if body is None:
        raise ApiError("NotFoundException", f"Configuration set <{name}> does not exist.", 404)
    answer = {k: v for k, v in body.items() if k != "ConfigurationSetName"}
    answer.setdefault("SendingOptions", {"SendingEnabled": True})
    answer.setdefault("ReputationOptions", {"ReputationMetricsEnabled": False})
    answer.setdefault("Tags", [])
    return json_response({"ConfigurationSetName": name, **answer})


def list_configuration_sets(
    state: EmulatorState, _: Request, __: dict[str, str], body: dict[str, Any]
) -> Response:
    """ListConfigurationSets (paged)."""
    page, nxt = _page(sorted(state.store.config_sets), body)
    answer: dict[str, Any] = {"ConfigurationSets": page}
    if nxt:
        answer["NextToken"] = nxt
    return json_response(answer)


def delete_configuration_set(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """DeleteConfigurationSet."""
    if not state.store.delete_config_set(params["ConfigurationSetName"]):
        raise ApiError(
            "NotFoundException", f"Configuration set <{params['ConfigurationSetName']}> does not exist.", 404
        )
    return json_response({})


def put_suppressed_destination(
    state: EmulatorState, req: Request, _: dict[str, str], body: dict[str, Any]
) -> Response:
    """PutSuppressedDestination."""
    address, reason = body.get("EmailAddress"), body.get("Reason")
    if not isinstance(address, str) or "@" not in address:
        raise ApiError("BadRequestException", "EmailAddress must be an email address.")
    if reason not in ("BOUNCE", "COMPLAINT"):
        raise ApiError("BadRequestException", "Reason must be BOUNCE or COMPLAINT.")
    state.store.suppress(address, reason, req.received_at)
    return json_response({})


def _suppressed(state: EmulatorState, address: str) -> tuple[str, float]:
    found = state.store.suppressed.get(address.lower())
    if found is None:
        raise ApiError(
            "NotFoundException", f"Email address {address} does not exist on your suppression list.", 404
        )
    return found


def get_suppressed_destination(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """GetSuppressedDestination."""
    address = params["EmailAddress"]
    reason, when = _suppressed(state, address)
    return json_response(
        {"SuppressedDestination": {"EmailAddress": address.lower(), "Reason": reason, "LastUpdateTime": when}}
    )


def list_suppressed_destinations(
    state: EmulatorState, req: Request, _: dict[str, str], __: dict[str, Any]
) -> Response:
    """ListSuppressedDestinations (query parameters Reason, PageSize, NextToken)."""
    query = req.query()
    reasons = [v for k, v in _multi(req.raw_query) if k == "Reason"]
    items = [
        {"EmailAddress": address, "Reason": reason, "LastUpdateTime": when}
        for address, (reason, when) in sorted(state.store.suppressed.items())
        if not reasons or reason in reasons
    ]
    page, nxt = _page(items, {"PageSize": query.get("PageSize"), "NextToken": query.get("NextToken")})
    answer: dict[str, Any] = {"SuppressedDestinationSummaries": page}
    if nxt:
        answer["NextToken"] = nxt
    return json_response(answer)


def _multi(raw_query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(raw_query)


def delete_suppressed_destination(
    state: EmulatorState, _: Request, params: dict[str, str], __: dict[str, Any]
) -> Response:
    """DeleteSuppressedDestination."""
    _suppressed(state, params["EmailAddress"])
    state.store.unsuppress(params["EmailAddress"])
    return json_response({})


HANDLERS = {
    "CreateEmailIdentity": create_email_identity,
    "GetEmailIdentity": get_email_identity,
    "ListEmailIdentities": list_email_identities,
    "DeleteEmailIdentity": delete_email_identity,
    "CreateConfigurationSet": create_configuration_set,
    "GetConfigurationSet": get_configuration_set,
    "ListConfigurationSets": list_configuration_sets,
    "DeleteConfigurationSet": delete_configuration_set,
    "PutSuppressedDestination": put_suppressed_destination,
    "GetSuppressedDestination": get_suppressed_destination,
    "ListSuppressedDestinations": list_suppressed_destinations,
    "DeleteSuppressedDestination": delete_suppressed_destination,
}
