"""Tags and bounce details are decoded whatever the key spelling the sync kept."""

from __future__ import annotations

from sesflow.report.queries import bounce_type, parse_tags


def test_tags_as_the_export_writes_them() -> None:
    text = '[{"Name": "campaign", "Value": "welcome"}, {"Name": "env", "Value": "prod"}]'
    assert parse_tags(text) == [("campaign", "welcome"), ("env", "prod")]


def test_tags_with_normalised_keys_or_as_an_object() -> None:
    assert parse_tags('[{"name": "campaign", "value": "a"}]') == [("campaign", "a")]
    assert parse_tags('{"campaign": "a"}') == [("campaign", "a")]


def test_a_repeated_tag_counts_once_and_garbage_is_ignored() -> None:
    assert parse_tags('[{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "1"}]') == [("a", "1")]
    assert parse_tags("not json") == [] and parse_tags(None) == [] and parse_tags("[1, 2]") == []


def test_bounce_type_from_details_in_any_spelling() -> None:
    assert bounce_type('{"Bounce": {"BounceType": "PERMANENT", "BounceSubType": "General"}}') == "PERMANENT"
    assert bounce_type('{"bounce": {"bounce_type": "Transient"}}') == "TRANSIENT"


def test_bounce_type_from_a_last_delivery_event_or_unknown() -> None:
    assert bounce_type("TRANSIENT_BOUNCE") == "TRANSIENT"
    assert bounce_type('{"Bounce": {}}') == "UNDETERMINED"
