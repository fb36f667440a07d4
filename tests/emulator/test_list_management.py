"""Contact lists, topics and contacts, and ListManagementOptions on a send: List-Unsubscribe headers, the
one-click link, and a bounce for a contact unsubscribed from the topic (as SES documents)."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import httpx

from tests.emulator.test_sending import error_of, insights

TOPICS = [
    {"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"},
    {"TopicName": "offers", "DisplayName": "Offers", "DefaultSubscriptionStatus": "OPT_OUT"},
]


def send_to(sesv2: Any, address: str, topic: str | None = "weekly", text: str = "hi") -> str:
    options = {"ContactListName": "news", **({"TopicName": topic} if topic else {})}
    return str(
        sesv2.send_email(
            FromEmailAddress="news@example.com",
            Destination={"ToAddresses": [address]},
            Content={"Simple": {"Subject": {"Data": "News"}, "Body": {"Text": {"Data": text}}}},
            ListManagementOptions=options,
        )["MessageId"]
    )


def test_one_contact_list_per_account_and_twenty_topics_per_list(sesv2: Any) -> None:
    many = [
        {"TopicName": f"t{i}", "DisplayName": "T", "DefaultSubscriptionStatus": "OPT_IN"} for i in range(21)
    ]
    assert (
        error_of(sesv2.create_contact_list, ContactListName="news", Topics=many)[0]
        == "LimitExceededException"
    )
    sesv2.create_contact_list(ContactListName="news", Topics=many[:20])
    assert error_of(sesv2.create_contact_list, ContactListName="other")[0] == "LimitExceededException"
    assert (
        error_of(sesv2.update_contact_list, ContactListName="news", Topics=many)[0] == "BadRequestException"
    )
    assert len(sesv2.get_contact_list(ContactListName="news")["Topics"]) == 20


def test_contacts_preferences_defaults_and_filters(sesv2: Any) -> None:
    sesv2.create_contact_list(ContactListName="news", Topics=TOPICS, Description="the news")
    sesv2.create_contact(ContactListName="news", EmailAddress="ann@example.org")
    sesv2.create_contact(
        ContactListName="news",
        EmailAddress="bob@example.org",
        TopicPreferences=[{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}],
    )
    sesv2.create_contact(ContactListName="news", EmailAddress="cy@example.org", UnsubscribeAll=True)
    ann = sesv2.get_contact(ContactListName="news", EmailAddress="ann@example.org")
    assert ann["TopicPreferences"] == [] and {
        p["TopicName"]: p["SubscriptionStatus"] for p in ann["TopicDefaultPreferences"]
    } == {"weekly": "OPT_IN", "offers": "OPT_OUT"}
    assert error_of(
        sesv2.create_contact,
        ContactListName="news",
        EmailAddress="d@example.org",
        TopicPreferences=[{"TopicName": "nope", "SubscriptionStatus": "OPT_IN"}],
    )[0] == ("BadRequestException")

    def listed(**filter_: Any) -> list[str]:
        return [
            c["EmailAddress"] for c in sesv2.list_contacts(ContactListName="news", Filter=filter_)["Contacts"]
        ]

    weekly = {"TopicName": "weekly", "UseDefaultIfPreferenceUnavailable": True}
    assert listed(FilteredStatus="OPT_IN", TopicFilter=weekly) == ["ann@example.org"]
    assert listed(FilteredStatus="OPT_OUT", TopicFilter=weekly) == ["bob@example.org", "cy@example.org"]
    page = sesv2.list_contacts(ContactListName="news", PageSize=2)
    assert len(page["Contacts"]) == 2 and page["NextToken"]
    sesv2.delete_contact_list(ContactListName="news")  # contacts go with it
    assert error_of(sesv2.get_contact, ContactListName="news", EmailAddress="ann@example.org")[1] == 404


def test_a_send_with_list_management_gets_unsubscribe_headers_and_link(sesv2: Any, emulator: Any) -> None:
    sesv2.create_contact_list(ContactListName="news", Topics=TOPICS)
    message_id = send_to(sesv2, "ann@example.org", text="Bye: {{amazonSESUnsubscribeUrl}}")
    raw = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{message_id}/raw").text
    link = re.search(r"List-Unsubscribe: <([^>]+)>", raw)
    assert link and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()  # type: ignore[union-attr]
    assert f"Bye: {link.group(1)}" in body  # the placeholder became the same link
    assert error_of(
        sesv2.send_email,
        FromEmailAddress="n@example.com",
        Destination={"ToAddresses": ["a@x.org"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        ListManagementOptions={"ContactListName": "nope"},
    )[:2] == ("NotFoundException", 404)


def test_a_contact_unsubscribed_from_the_topic_gets_a_bounce_not_the_mail(sesv2: Any) -> None:
    sesv2.create_contact_list(ContactListName="news", Topics=TOPICS)
    sesv2.create_contact(
        ContactListName="news",
        EmailAddress="bob@example.org",
        TopicPreferences=[{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}],
    )
    sesv2.create_contact(ContactListName="news", EmailAddress="ann@example.org")
    assert insights(sesv2, send_to(sesv2, "bob@example.org")) == {"bob@example.org": ["SEND", "BOUNCE"]}
    assert "DELIVERY" in insights(sesv2, send_to(sesv2, "ann@example.org"))["ann@example.org"]
    assert insights(sesv2, send_to(sesv2, "ann@example.org", "offers"))["ann@example.org"][-1] == "BOUNCE"
    assert "DELIVERY" in insights(sesv2, send_to(sesv2, "bob@example.org", topic=None))["bob@example.org"]


def test_the_one_click_link_unsubscribes_the_contact_from_the_topic(sesv2: Any, emulator: Any) -> None:
    sesv2.create_contact_list(ContactListName="news", Topics=TOPICS)
    sesv2.create_contact(ContactListName="news", EmailAddress="ann@example.org")
    message_id = send_to(sesv2, "ann@example.org")
    raw = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{message_id}/raw").text
    link = re.search(r"List-Unsubscribe: <([^>]+)>", raw).group(1)  # type: ignore[union-attr]
    shown = httpx.get(link)
    assert shown.status_code == 200 and "<form method=post>" in shown.text  # GET only asks
    assert sesv2.get_contact(ContactListName="news", EmailAddress="ann@example.org")["TopicPreferences"] == []
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    contact = sesv2.get_contact(ContactListName="news", EmailAddress="ann@example.org")
    assert contact["TopicPreferences"] == [{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}]
    assert insights(sesv2, send_to(sesv2, "ann@example.org"))["ann@example.org"][-1] == "BOUNCE"
    assert httpx.post(link.replace("token=", "token=x")).status_code == 404
