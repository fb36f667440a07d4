"""The JSON-safe description of a ``Message`` (a *payload*): what crosses a task queue between the code that
wants a message sent and the worker that composes and sends it.

``message_to_payload(message)`` gives a dict that ``json.dumps`` takes; ``message_from_payload(payload)``
gives the ``Message`` back, or raises ``MessageError`` naming the field at fault (``attachments[1].content``)
before anything is composed or sent. Every ``Message`` field has a key of the same name (``from`` for
``from_``); unset fields are left out. The shapes:

- bytes (``text``, ``html``, ``raw``, an attachment's ``content`` or ``raw``, ...): ``{"base64": "..."}``;
  a str stays a str;
- an address: ``"Name <a@b>"``, ``{"address": "a@b", "name": "Name"}`` or a group
  ``{"group": "Team", "members": [...]}``; address fields take one of these or a list of them;
- an attachment: the ``Attachment`` fields by name; ``path`` and ``href`` are read by the worker (a file
  the worker can read, a URL it can fetch), ``content`` travels in the payload;
- ``date``: RFC 5322 text (a ``datetime`` is written that way); ISO 8601 text is accepted too.

The payload carries what the message carries, DKIM key included: a queue that must not see a key should
get messages without ``dkim`` and workers that sign.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import email.utils
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sesflow.errors import MessageError
from sesflow.mime import Address, Attachment, DkimOptions, Envelope, Group, IcalEvent, Message

_NAMES = {"from_": "from"}  # Message field -> payload key, where they differ
_FIELDS = {_NAMES.get(f.name, f.name): f.name for f in dataclasses.fields(Message)}
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Message)}
_SHOWN = 60


def _show(value: object) -> str:
    text = repr(value)
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 3] + "..."
    return f"{text} ({type(value).__name__})"


def _refuse(path: str, value: object, expected: str, *, secret: bool = False) -> MessageError:
    shown = f"a {type(value).__name__}" if secret else _show(value)
    return MessageError(f"{path}: expected {expected}, got {shown}", hint="Fix that field of the payload.")


# -- Message -> payload ----------------------------------------------------------------------------------


def _bytes_out(value: bytes | str) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _address_out(value: Any) -> Any:
    if isinstance(value, Address):
        return {"address": value.address, "name": value.name} if value.name else value.address
    if isinstance(value, Group):
        return {"group": value.name, "members": [_address_out(m) for m in value.members]}
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        name, address = value
        return {"address": address, "name": name}
    return value


def _addresses_out(value: Any) -> Any:
    if isinstance(value, str | Address | Group) or (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
    ):
        return _address_out(value)
    return [_address_out(v) for v in value]


def _json_out(value: Any) -> Any:
    """A copy of ``value`` made of JSON types (tuples become lists, PathLike a str)."""
    if isinstance(value, Mapping):
        return {str(k): _json_out(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_out(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bytes):
        return _bytes_out(value)
    return value


def _attachment_out(value: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(Attachment):
        item = getattr(value, field.name)
        if item is None:
            continue
        if field.name in ("content", "raw"):
            item = _bytes_out(item)
        out[field.name] = _json_out(item)
    return out


def _ical_out(value: IcalEvent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(IcalEvent):
        item = getattr(value, field.name)
        if item is not None and item != field.default:
            out[field.name] = _bytes_out(item) if field.name == "content" else _json_out(item)
    return out


def _date_out(value: dt.datetime | str) -> str:
    if isinstance(value, dt.datetime):
        return email.utils.format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return value


def _envelope_out(value: Envelope | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(value, Envelope):
        return {"from": value.from_, "to": list(value.to)}
    return {str(k): _addresses_out(v) if v is not None else None for k, v in value.items()}


def _dkim_out(value: DkimOptions | Mapping[str, Any]) -> dict[str, Any]:
    items = dataclasses.asdict(value) if isinstance(value, DkimOptions) else dict(value)
    out = {k: _json_out(v) for k, v in items.items() if v is not None}
    if "private_key" in items:
        out["private_key"] = _bytes_out(items["private_key"])
    return out


_OUT: dict[str, Callable[[Any], Any]] = {
    "from_": _address_out,
    "sender": _address_out,
    "to": _addresses_out,
    "cc": _addresses_out,
    "bcc": _addresses_out,
    "reply_to": _addresses_out,
    "text": _bytes_out,
    "html": _bytes_out,
    "amp": _bytes_out,
    "watch_html": _bytes_out,
    "raw": _bytes_out,
    "alternatives": lambda v: [_attachment_out(a) for a in v],
    "attachments": lambda v: [_attachment_out(a) for a in v],
    "ical_event": _ical_out,
    "date": _date_out,
    "envelope": _envelope_out,
    "dkim": _dkim_out,
}


def message_to_payload(message: Message) -> dict[str, Any]:
    """The JSON-safe payload of ``message`` (fields left at their defaults are left out)."""
    if not isinstance(message, Message):
        raise MessageError(f"message: expected a sesflow.Message, got {_show(message)}")
    payload: dict[str, Any] = {}
    for key, name in _FIELDS.items():
        value = getattr(message, name)
        if (
            value is None
            or (name in ("alternatives", "attachments") and not value)
            or value == _DEFAULTS[name]
        ):
            continue
        payload[key] = _OUT.get(name, _json_out)(value)
    return payload


# -- payload -> Message ----------------------------------------------------------------------------------


def _str(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse(path, value, "text")
    return value


def _optional_str(path: str, value: Any) -> str | None:
    return None if value is None else _str(path, value)


def _bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse(path, value, "true or false")
    return value


def _choice(path: str, value: Any, choices: Sequence[str]) -> Any:
    if value not in choices:
        raise _refuse(path, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def _object(path: str, value: Any, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _refuse(path, value, "an object")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise MessageError(f"{path}.{unknown[0]}: unknown key", hint="Known keys: " + ", ".join(keys) + ".")
    return dict(value)


def _bytes_in(path: str, value: Any, *, secret: bool = False) -> bytes | str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise MessageError(f"{path}.base64: not valid base64") from None
    raise _refuse(path, value, 'text or {"base64": "..."}', secret=secret)


def _address_in(path: str, value: Any) -> str | Address | Group:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "group" in value:
        item = _object(path, value, ("group", "members"))
        members = item.get("members") or []
        if not isinstance(members, list):
            raise _refuse(f"{path}.members", members, "a list of addresses")
        return Group(
            _str(f"{path}.group", item["group"]),
            tuple(_address_in(f"{path}.members[{i}]", m) for i, m in enumerate(members)),
        )
    if isinstance(value, Mapping):
        item = _object(path, value, ("address", "name"))
        if "address" not in item:
            raise MessageError(f"{path}.address: missing", hint='Write {"address": "a@b", "name": "..."}.')
        return Address(_str(f"{path}.address", item["address"]), _str(f"{path}.name", item.get("name", "")))
    raise _refuse(path, value, 'an address ("a@b", {"address": ..., "name": ...} or a group)')


def _addresses_in(path: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_address_in(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return _address_in(path, value)


def _json_in(path: str, value: Any) -> Any:
    """``value`` checked to be made of JSON types only."""
    if isinstance(value, Mapping):
        return {_str(f"{path} key", k): _json_in(f"{path}.{k}", v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_in(f"{path}[{i}]", v) for i, v in enumerate(value)]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise _refuse(path, value, "a JSON value")


def _json_object(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _refuse(path, value, "an object")
    checked: dict[str, Any] = _json_in(path, value)
    return checked


def _headers_in(path: str, value: Any) -> dict[str, str | list[str]]:
    if not isinstance(value, Mapping):
        raise _refuse(path, value, 'an object of header name to value ({"X-Name": "value"})')
    out: dict[str, str | list[str]] = {}
    for name, item in value.items():
        key = _str(f"{path} key", name)
        if isinstance(item, list):
            out[key] = [_str(f"{path}.{key}[{i}]", v) for i, v in enumerate(item)]
        else:
            out[key] = _str(f"{path}.{key}", item)
    return out


_ATTACHMENT_KEYS = tuple(f.name for f in dataclasses.fields(Attachment))


def _attachment_in(path: str, value: Any) -> Attachment:
    item = _object(path, value, _ATTACHMENT_KEYS)
    filename = item.get("filename")
    if filename is not None and filename is not False and not isinstance(filename, str):
        raise _refuse(f"{path}.filename", filename, "text, false or null")
    return Attachment(
        filename=filename,
        content=None if item.get("content") is None else _bytes_in(f"{path}.content", item["content"]),
        encoding=_optional_str(f"{path}.encoding", item.get("encoding")),
        path=_optional_str(f"{path}.path", item.get("path")),
        href=_optional_str(f"{path}.href", item.get("href")),
        content_type=_optional_str(f"{path}.content_type", item.get("content_type")),
        content_disposition=None
        if item.get("content_disposition") is None
        else _choice(f"{path}.content_disposition", item["content_disposition"], ("attachment", "inline")),
        cid=_optional_str(f"{path}.cid", item.get("cid")),
        headers=None if item.get("headers") is None else _headers_in(f"{path}.headers", item["headers"]),
        raw=None if item.get("raw") is None else _bytes_in(f"{path}.raw", item["raw"]),
    )


def _attachments_in(path: str, value: Any) -> list[Attachment]:
    if not isinstance(value, list):
        raise _refuse(path, value, "a list of attachments")
    return [_attachment_in(f"{path}[{i}]", v) for i, v in enumerate(value)]


def _ical_in(path: str, value: Any) -> IcalEvent:
    item = _object(path, value, tuple(f.name for f in dataclasses.fields(IcalEvent)))
    return IcalEvent(
        content=None if item.get("content") is None else _bytes_in(f"{path}.content", item["content"]),
        method=_str(f"{path}.method", item.get("method", "PUBLISH")),
        filename=_str(f"{path}.filename", item.get("filename", "invite.ics")),
        path=_optional_str(f"{path}.path", item.get("path")),
        href=_optional_str(f"{path}.href", item.get("href")),
        encoding=_optional_str(f"{path}.encoding", item.get("encoding")),
    )


def _references_in(path: str, value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [_str(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return _str(path, value)


def _date_in(path: str, value: Any) -> str | dt.datetime:
    text = _str(path, value)
    try:
        email.utils.parsedate_to_datetime(text)
        return text
    except (TypeError, ValueError):
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise _refuse(path, value, "an RFC 5322 or ISO 8601 date") from None


def _envelope_in(path: str, value: Any) -> dict[str, Any]:
    item = _object(path, value, ("from", "to", "cc", "bcc"))
    return {k: None if v is None else _addresses_in(f"{path}.{k}", v) for k, v in item.items()}


_DKIM_KEYS = tuple(f.name for f in dataclasses.fields(DkimOptions))


def _dkim_in(path: str, value: Any) -> DkimOptions:
    item = _object(path, value, _DKIM_KEYS)
    for key in ("domain", "selector", "private_key"):
        if key not in item:
            raise MessageError(
                f"{path}.{key}: missing", hint="A DKIM setting needs domain, selector, private_key."
            )
    options: dict[str, Any] = {
        "domain": _str(f"{path}.domain", item["domain"]),
        "selector": _str(f"{path}.selector", item["selector"]),
        "private_key": _bytes_in(f"{path}.private_key", item["private_key"], secret=True),
    }
    if "algorithm" in item:
        options["algorithm"] = _choice(
            f"{path}.algorithm", item["algorithm"], ("rsa-sha256", "ed25519-sha256")
        )
    for key in ("skip_fields", "header_fields"):
        if item.get(key) is not None:
            fields = item[key]
            if not isinstance(fields, list):
                raise _refuse(f"{path}.{key}", fields, "a list of header names")
            options[key] = tuple(_str(f"{path}.{key}[{i}]", f) for i, f in enumerate(fields))
    if "canonicalization" in item:
        pair = item["canonicalization"]
        if not (isinstance(pair, list) and len(pair) == 2):
            raise _refuse(f"{path}.canonicalization", pair, '["relaxed" | "simple", "relaxed" | "simple"]')
        options["canonicalization"] = tuple(
            _choice(f"{path}.canonicalization[{i}]", c, ("relaxed", "simple")) for i, c in enumerate(pair)
        )
    return DkimOptions(**options)


_IN: dict[str, Callable[[str, Any], Any]] = {
    "from_": _address_in,
    "sender": _address_in,
    "to": _addresses_in,
    "cc": _addresses_in,
    "bcc": _addresses_in,
    "reply_to": _addresses_in,
    "in_reply_to": _str,
    "references": _references_in,
    "subject": _str,
    "text": _bytes_in,
    "html": _bytes_in,
    "amp": _bytes_in,
    "watch_html": _bytes_in,
    "alternatives": _attachments_in,
    "attachments": _attachments_in,
    "ical_event": _ical_in,
    "headers": _headers_in,
    "list": lambda path, value: _json_object(path, value),
    "priority": lambda path, value: _choice(path, value, ("high", "normal", "low")),
    "message_id": _str,
    "date": _date_in,
    "envelope": _envelope_in,
    "text_encoding": lambda path, value: _choice(path, value, ("auto", "quoted-printable", "base64")),
    "raw": _bytes_in,
    "dkim": _dkim_in,
    "disable_file_access": _bool,
    "disable_url_access": _bool,
    "ses": lambda path, value: _json_object(path, value),
}


def message_from_payload(payload: Any) -> Message:
    """The ``Message`` a payload describes; ``MessageError`` naming the field when it is not one."""
    if not isinstance(payload, Mapping):
        raise _refuse("payload", payload, "an object of Message fields")
    unknown = sorted(str(k) for k in payload if k not in _FIELDS)
    if unknown:
        raise MessageError(
            f"{unknown[0]}: not a field of a message",
            hint="Known fields: " + ", ".join(_FIELDS) + ".",
        )
    fields = {
        _FIELDS[key]: _IN[_FIELDS[key]](key, value) for key, value in payload.items() if value is not None
    }
    return Message(**fields)


__all__ = ["message_from_payload", "message_to_payload"]
