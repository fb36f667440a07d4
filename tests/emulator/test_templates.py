"""Stored templates (v1 and v2 over one store) rendered with the Handlebars features SES supports, and the
templated sends: SendTemplatedEmail, v2 SendEmail with Template content, SendBulkTemplatedEmail and
SendBulkEmail (per-destination status, each destination counted against the rate)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sesflow.emulator.handlebars import RenderError, TemplateSyntaxError, render
from tests.emulator.conftest import client
from tests.emulator.test_sending import error_of, insights

ORDER = {
    "Subject": "Your order {{order.id}}",
    "Text": "Hi {{contact.first}},\n{{#each items}}- {{name}} x{{qty}}{{#if @last}}.{{/if}}\n{{/each}}"
    "{{#if vip}}Thanks for being VIP{{else}}Join VIP{{/if}}",
    "Html": "<p>Hi {{contact.first}}</p>",
}
DATA = {
    "order": {"id": "A-1"},
    "contact": {"first": "Ann"},
    "items": [{"name": "tea", "qty": 2}, {"name": "cup", "qty": 1}],
    "vip": True,
}


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ("Hello {{name}}!", {"name": "Ann"}, "Hello Ann!"),
        ("{{a.b.c}}", {"a": {"b": {"c": 3}}}, "3"),
        ("{{#if vip}}yes{{else}}no{{/if}}", {"vip": False}, "no"),
        ("{{#if a}}A{{else if b}}B{{else}}C{{/if}}", {"b": 1}, "B"),
        ("{{#unless done}}todo{{/unless}}", {}, "todo"),
        ("{{#each xs}}{{@index}}:{{this}} {{/each}}", {"xs": ["a", "b"]}, "0:a 1:b "),
        ("{{#each xs}}{{name}}/{{../shop}} {{/each}}", {"xs": [{"name": "x"}], "shop": "S"}, "x/S "),
        ("{{#each xs}}x{{else}}empty{{/each}}", {"xs": []}, "empty"),
        ("{{#with user}}{{first}}{{/with}}", {"user": {"first": "Bo"}}, "Bo"),
        ('{{#* inline "sig"}}-- {{team}}{{/inline}}{{> sig}}', {"team": "T"}, "-- T"),
        ("{{html}} {{{html}}}", {"html": "<b>"}, "<b> <b>"),  # SES does not escape HTML
        ("{{!-- note --}}a {{~b~}} c", {"b": "B"}, "aBc"),
        ("{{flag}} {{n}} {{list}}", {"flag": True, "n": 1.0, "list": [1, 2]}, "true 1 1,2"),
    ],
)
def test_handlebars_subset_renders_like_handlebars(
    template: str, data: dict[str, Any], expected: str
) -> None:
    assert render(template, data) == expected


def test_a_missing_variable_fails_rendering_and_a_missing_condition_does_not() -> None:
    with pytest.raises(RenderError, match="Attribute 'name' is not present"):
        render("Hi {{name}}", {})
    assert render("{{#if name}}x{{/if}}", {}) == ""
    for broken in ("{{#if x}}", "{{/each}}", "{{#each}}{{/each}}", "{{#loop x}}{{/loop}}"):
        with pytest.raises(TemplateSyntaxError):
            render(broken, {})


def test_v1_and_v2_share_templates_and_render_them(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="order", TemplateContent=ORDER)
    assert ses.get_template(TemplateName="order")["Template"]["SubjectPart"] == "Your order {{order.id}}"
    assert [t["Name"] for t in ses.list_templates()["TemplatesMetadata"]] == ["order"]
    rendered = sesv2.test_render_email_template(TemplateName="order", TemplateData=json.dumps(DATA))
    text = rendered["RenderedTemplate"].replace("\r\n", "\n")
    assert (
        "Subject: Your order A-1" in text and "- tea x2\n- cup x1." in text and "Thanks for being VIP" in text
    )
    v1 = ses.test_render_template(TemplateName="order", TemplateData=json.dumps({**DATA, "vip": False}))
    assert "Join VIP" in v1["RenderedTemplate"]
    ses.update_template(Template={"TemplateName": "order", "SubjectPart": "New {{x}}", "TextPart": "t"})
    assert sesv2.get_email_template(TemplateName="order")["TemplateContent"] == {
        "Subject": "New {{x}}",
        "Text": "t",
    }


def test_template_errors_as_ses_gives_them(ses: Any, sesv2: Any) -> None:
    assert (
        error_of(
            ses.create_template, Template={"TemplateName": "bad", "SubjectPart": "{{#if x}}", "TextPart": "t"}
        )[0]
        == "InvalidTemplate"
    )
    assert (
        error_of(
            sesv2.create_email_template,
            TemplateName="bad",
            TemplateContent={"Subject": "s", "Text": "{{/if}}"},
        )[0]
        == "BadRequestException"
    )
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    assert error_of(ses.test_render_template, TemplateName="hi", TemplateData="{}")[:2] == (
        "MissingRenderingAttribute",
        400,
    )
    assert error_of(ses.test_render_template, TemplateName="hi", TemplateData="{nope")[0] == (
        "InvalidRenderingParameter"
    )
    assert "name" in error_of(sesv2.test_render_email_template, TemplateName="hi", TemplateData="{}")[2]
    assert error_of(ses.get_template, TemplateName="nope")[0] == "TemplateDoesNotExist"
    assert error_of(sesv2.get_email_template, TemplateName="nope")[:2] == ("NotFoundException", 404)


def raw_of(emulator: Any, message_id: str) -> str:
    return httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{message_id}/raw").content.decode()


def test_templated_sends_v1_and_v2(ses: Any, sesv2: Any, emulator: Any) -> None:
    sesv2.create_email_template(TemplateName="order", TemplateContent=ORDER)
    v1 = ses.send_templated_email(
        Source="shop@example.com",
        Destination={"ToAddresses": ["ann@example.org"]},
        Template="order",
        TemplateData=json.dumps(DATA),
    )["MessageId"]
    assert "Subject: Your order A-1" in raw_of(emulator, v1)
    v2 = sesv2.send_email(
        FromEmailAddress="shop@example.com",
        Destination={"ToAddresses": ["bob@example.org"]},
        Content={
            "Template": {
                "TemplateName": "order",
                "TemplateData": json.dumps(DATA),
                "Headers": [{"Name": "X-Order", "Value": "A-1"}],
            }
        },
    )["MessageId"]
    text = raw_of(emulator, v2)
    assert "X-Order: A-1" in text and "Hi Ann" in text
    inline = sesv2.send_email(
        FromEmailAddress="shop@example.com",
        Destination={"ToAddresses": ["bob@example.org"]},
        Content={
            "Template": {
                "TemplateContent": {"Subject": "Inline {{x}}", "Text": "x"},
                "TemplateData": '{"x": 1}',
            }
        },
    )["MessageId"]
    assert "Subject: Inline 1" in raw_of(emulator, inline)


def test_a_missing_attribute_is_accepted_then_fails_rendering_with_no_delivery(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    message_id = ses.send_templated_email(
        Source="shop@example.com",
        Destination={"ToAddresses": ["ann@example.org"]},
        Template="hi",
        TemplateData="{}",
    )["MessageId"]
    assert insights(sesv2, message_id) == {"ann@example.org": ["RENDERING_FAILURE"]}
    assert (
        error_of(
            ses.send_templated_email,
            Source="shop@example.com",
            Destination={"ToAddresses": ["ann@example.org"]},
            Template="nope",
            TemplateData="{}",
        )[0]
        == "TemplateDoesNotExist"
    )


def test_send_bulk_email_gives_each_destination_its_status_and_counts_each_against_the_rate(
    make_emulator: Any,
) -> None:
    emulator = make_emulator(max_send_rate=3)
    sesv2 = client("sesv2", emulator)
    sesv2.create_email_template(
        TemplateName="hi", TemplateContent={"Subject": "Hi {{name}}", "Text": "{{greeting}}"}
    )
    entries = [
        {
            "Destination": {"ToAddresses": [f"user{i}@example.org"]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {"ReplacementTemplateData": json.dumps({"name": f"U{i}"})}
            },
        }
        for i in range(4)
    ] + [{"Destination": {"ToAddresses": ["not-an-address"]}}]
    results = sesv2.send_bulk_email(
        FromEmailAddress="shop@example.com",
        DefaultContent={
            "Template": {"TemplateName": "hi", "TemplateData": '{"name": "you", "greeting": "Hello"}'}
        },
        BulkEmailEntries=entries,
        DefaultEmailTags=[{"Name": "campaign", "Value": "fall"}],
    )["BulkEmailEntryResults"]
    assert [r["Status"] for r in results] == ["SUCCESS"] * 3 + ["ACCOUNT_THROTTLED", "INVALID_PARAMETER"]
    first = results[0]["MessageId"]
    raw = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{first}/raw").text
    assert "Subject: Hi U0" in raw and "Hello" in raw  # replacement data over the defaults
    assert sesv2.get_message_insights(MessageId=first)["EmailTags"] == [{"Name": "campaign", "Value": "fall"}]
    sends = httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"]
    assert [(s["recipients"], s["status"]) for s in sends[:4]] == [(1, 200)] * 3 + [(1, 429)]


def test_send_bulk_templated_email_v1(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    statuses = ses.send_bulk_templated_email(
        Source="shop@example.com",
        Template="hi",
        DefaultTemplateData='{"name": "friend"}',
        Destinations=[
            {"Destination": {"ToAddresses": ["a@example.org"]}, "ReplacementTemplateData": '{"name": "A"}'},
            {"Destination": {"ToAddresses": ["b@example.org"]}},
        ],
    )["Status"]
    assert [s["Status"] for s in statuses] == ["Success", "Success"]
    assert all(s["MessageId"].endswith("-000000") for s in statuses)


def test_bulk_refuses_more_than_50_destinations_and_unknown_templates(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "s", "Text": "x"})
    many = [{"Destination": {"ToAddresses": [f"u{i}@example.org"]}} for i in range(51)]
    assert error_of(
        sesv2.send_bulk_email,
        FromEmailAddress="a@example.com",
        DefaultContent={"Template": {"TemplateName": "hi"}},
        BulkEmailEntries=many,
    )[0] == ("BadRequestException")
    assert error_of(
        sesv2.send_bulk_email,
        FromEmailAddress="a@example.com",
        DefaultContent={"Template": {"TemplateName": "nope"}},
        BulkEmailEntries=many[:1],
    )[:2] == ("NotFoundException", 404)
    assert (
        error_of(
            ses.send_bulk_templated_email,
            Source="a@example.com",
            Template="nope",
            DefaultTemplateData="{}",
            Destinations=many[:1],
        )[0]
        == "TemplateDoesNotExist"
    )
