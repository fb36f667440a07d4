"""Contact lists, topics and contacts (SES list management), and what ``ListManagementOptions`` does to a
send: List-Unsubscribe and List-Unsubscribe-Post headers and the ``{{amazonSESUnsubscribeUrl}}`` link, and
a bounce (no delivery) for a contact who unsubscribed from the topic or from everything.

Quotas as SES documents them: one contact list per account and region, at most 20 topics per list. The
unsubscribe link points at the emulator (``/_sesflow/unsubscribe``), which updates the contact as SES's
unsubscribe page would.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from sesflow.emulator.call import Call, Handler, invalid, limit_exceeded, not_found, paged
from sesflow.emulator.region import Key, Record, Region
from sesflow.emulator.tables import Table, delete_op, get_op

CONTACT_LISTS = Table(
    "contact_lists", ("ContactListName",), "List", arn="contact-list/{ContactListName}", quota=1
)
CONTACTS = Table(
    "contacts", ("ContactListName", "EmailAddress"), "Contact", parent=CONTACT_LISTS, fold_case=True
)
MAX_TOPICS = 20
UNSUBSCRIBE_PLACEHOLDER = "{{amazonSESUnsubscribeUrl}}"


def _check_topics(call: Call, record: Record, creating: bool) -> None:
    topics = record.get("Topics") or []
    if len(topics) > MAX_TOPICS:
        message = f"A contact list can have at most {MAX_TOPICS} topics, got {len(topics)}."
        raise limit_exceeded(call, message) if creating else invalid(call, message)
    names = [t["TopicName"] for t in topics]
    if len(set(names)) != len(names):
        raise invalid(call, "Topic names must be unique within a contact list.")


def create_list(call: Call) -> Record:
    """CreateContactList (one per account and region)."""
    record = {k: v for k, v in call.params.items() if k != "Tags"}
    _check_topics(call, record, creating=True)
    CONTACT_LISTS.insert(call, CONTACT_LISTS.key_of(call.params), record, call.params.get("Tags"))
    return {}


def update_list(call: Call) -> Record:
    """UpdateContactList: topics and description."""
    key = CONTACT_LISTS.key_of(call.params)
    record = {**CONTACT_LISTS.require(call, key), **call.params}
    _check_topics(call, record, creating=False)
    CONTACT_LISTS.replace(call, key, record)
    return {}


def _topics(call: Call, list_name: str) -> dict[str, str]:
    """Topic name -> default subscription status of a list."""
    record = CONTACT_LISTS.require(call, (list_name,))
    return {t["TopicName"]: t["DefaultSubscriptionStatus"] for t in record.get("Topics") or []}


def _check_preferences(call: Call, record: Record) -> None:
    topics = _topics(call, record["ContactListName"])
    for preference in record.get("TopicPreferences") or []:
        if preference["TopicName"] not in topics:
            raise invalid(
                call, f"Topic {preference['TopicName']} does not exist in list {record['ContactListName']}."
            )


def contact_view(call: Call, key: Key, record: Record) -> Record:
    """A contact with the list's topic defaults (TopicDefaultPreferences) next to its own preferences."""
    topics = _topics(call, key[0])
    shown = dict(record)
    shown["TopicDefaultPreferences"] = [
        {"TopicName": name, "SubscriptionStatus": status} for name, status in topics.items()
    ]
    shown.setdefault("TopicPreferences", [])
    shown.setdefault("UnsubscribeAll", False)
    return shown


def create_contact(call: Call) -> Record:
    """CreateContact."""
    key = CONTACTS.key_of(call.params)
    record = {**call.params, "EmailAddress": call.params["EmailAddress"]}
    _check_preferences(call, record)
    CONTACTS.insert(call, key, record)
    return {}


def update_contact(call: Call) -> Record:
    """UpdateContact."""
    key = CONTACTS.key_of(call.params)
    record = {**CONTACTS.require(call, key), **call.params}
    _check_preferences(call, record)
    CONTACTS.replace(call, key, record)
    return {}


def subscription(call_or_region: Region, list_name: str, contact: Record, topic: str | None) -> str:
    """OPT_IN or OPT_OUT: the contact's own preference for ``topic``, else the topic's default."""
    if contact.get("UnsubscribeAll"):
        return "OPT_OUT"
    if topic is None:
        return "OPT_IN"
    for preference in contact.get("TopicPreferences") or []:
        if preference["TopicName"] == topic:
            return str(preference["SubscriptionStatus"])
    lists = call_or_region.get(CONTACT_LISTS.name, (list_name,)) or {}
    for item in lists.get("Topics") or []:
        if item["TopicName"] == topic:
            return str(item["DefaultSubscriptionStatus"])
    return "OPT_IN"


def list_contacts(call: Call) -> Record:
    """ListContacts, filtered by subscription status to a topic (or to any topic)."""
    list_name = call.params["ContactListName"]
    _topics(call, list_name)
    wanted = call.params.get("Filter") or {}
    status = wanted.get("FilteredStatus")
    topic_filter = wanted.get("TopicFilter") or {}
    topic = topic_filter.get("TopicName")
    use_default = topic_filter.get("UseDefaultIfPreferenceUnavailable", False)
    items: list[Record] = []
    for key, record in CONTACTS.records(call, (list_name,)):
        if status is not None or topic is not None:
            explicit = {p["TopicName"]: p["SubscriptionStatus"] for p in record.get("TopicPreferences") or []}
            if (
                topic is not None
                and topic not in explicit
                and not use_default
                and not record.get("UnsubscribeAll")
            ):
                continue
            current = subscription(call.region, list_name, record, topic)
            if status is not None and current != status:
                continue
        view = contact_view(call, key, record)
        items.append({k: view[k] for k in ("EmailAddress", "TopicPreferences", "TopicDefaultPreferences",
                                            "UnsubscribeAll", "LastUpdatedTimestamp")})  # fmt: skip
    return paged(call, "Contacts", items, 100)


def list_lists(call: Call) -> Record:
    """ListContactLists."""
    items = [
        {"ContactListName": k[0], "LastUpdatedTimestamp": r["LastUpdatedTimestamp"]}
        for k, r in CONTACT_LISTS.records(call)
    ]
    return paged(call, "ContactLists", items)


# --- list management on a send ------------------------------------------------------------------------


def unsubscribe_token(region: Region, list_name: str, address: str, topic: str | None) -> str:
    """An opaque token naming (account, region, list, contact, topic), as SES's links carry one."""
    payload = orjson.dumps([region.account, region.name, list_name, address, topic])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def read_token(token: str) -> list[Any]:
    """The (account, region, list, contact, topic) of an unsubscribe token; ValueError when malformed."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValueError("not an unsubscribe token") from exc
    if not isinstance(payload, list) or len(payload) != 5:
        raise ValueError("not an unsubscribe token")
    return payload


def check_list_management(call: Call, options: Record) -> tuple[str, str | None]:
    """The (list, topic) a send names: the list must exist, and the topic be one of its topics."""
    list_name, topic = options["ContactListName"], options.get("TopicName")
    record = CONTACT_LISTS.find(call, (list_name,))
    if record is None:
        raise not_found(call, f"List with name {list_name} does not exist.")
    if topic is not None and topic not in {t["TopicName"] for t in record.get("Topics") or []}:
        raise not_found(call, f"Topic {topic} does not exist in list {list_name}.")
    return list_name, topic


def unsubscribed(
    region: Region, list_name: str, topic: str | None, destinations: list[str]
) -> dict[str, Record]:
    """The destinations that are contacts unsubscribed from the topic (or from all): bounce details each."""
    found: dict[str, Record] = {}
    for destination in destinations:
        contact = region.get(CONTACTS.name, (list_name, destination.lower()))
        if contact is not None and subscription(region, list_name, contact, topic) == "OPT_OUT":
            what = f"topic {topic} of contact list {list_name}" if topic else f"contact list {list_name}"
            diagnostic = f"Amazon SES did not send the message: the contact unsubscribed from {what}."
            found[destination] = {
                "Bounce": {
                    "BounceType": "PERMANENT",
                    "BounceSubType": "General",
                    "DiagnosticCode": diagnostic,
                }
            }
    return found


def unsubscribe_headers(base_url: str, token: str) -> list[tuple[str, str]]:
    """RFC 2369 and RFC 8058 headers for one-click unsubscribe."""
    url = f"{base_url}/_sesflow/unsubscribe?token={token}"
    return [("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]


def apply_unsubscribe(region: Region, token: str, now: float) -> Record:
    """What the unsubscribe link does: the contact opts out of the topic (or of everything)."""
    _, _, list_name, address, topic = read_token(token)
    key = (str(list_name), str(address).lower())
    contact = region.get(CONTACTS.name, key)
    if contact is None:
        contact = {"ContactListName": list_name, "EmailAddress": address, "CreatedTimestamp": now}
    contact = dict(contact)
    if topic:
        preferences = [p for p in contact.get("TopicPreferences") or [] if p["TopicName"] != topic]
        preferences.append({"TopicName": topic, "SubscriptionStatus": "OPT_OUT"})
        contact["TopicPreferences"] = preferences
    else:
        contact["UnsubscribeAll"] = True
    contact["LastUpdatedTimestamp"] = now
    region.save(CONTACTS.name, key, contact)
    return contact


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateContactList"): create_list,
    ("sesv2", "GetContactList"): get_op(CONTACT_LISTS),
    ("sesv2", "ListContactLists"): list_lists,
    ("sesv2", "UpdateContactList"): update_list,
    ("sesv2", "DeleteContactList"): delete_op(CONTACT_LISTS),
    ("sesv2", "CreateContact"): create_contact,
    ("sesv2", "GetContact"): get_op(CONTACTS, contact_view),
    ("sesv2", "ListContacts"): list_contacts,
    ("sesv2", "UpdateContact"): update_contact,
    ("sesv2", "DeleteContact"): delete_op(CONTACTS),
}
