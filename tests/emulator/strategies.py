"""Hypothesis strategies for request parameters built from botocore shapes: values of the right types,
enums, lengths and ranges (so they pass validation and reach the handlers), with names and addresses
drawn from small pools so that the resources they name sometimes exist.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

NAMES = st.sampled_from(["news", "example.com", "ann@example.com", "seeded-marketing", "x", "Weekly_1"])
FREE_TEXT = st.text(min_size=0, max_size=16)
_BY_NAME = {
    "EmailIdentity": st.sampled_from(["example.com", "ann@example.com", "example.org", "nope.test"]),
    "EmailAddress": st.sampled_from(["ann@example.com", "bob@example.org", "bounce@simulator.amazonses.com"]),
    "Identity": st.sampled_from(["example.com", "ann@example.com"]),
    "Domain": st.sampled_from(["example.com", "example.org"]),
    "Source": st.sampled_from(["news@example.com", "Ann <ann@example.com>"]),
    "FromEmailAddress": st.sampled_from(["news@example.com", "ann@example.com"]),
    "ResourceArn": st.sampled_from(
        [
            "arn:aws:ses:us-east-1:123456789012:configuration-set/seeded-marketing",
            "arn:aws:ses:us-east-1:123456789012:identity/example.com",
            "arn:aws:ses:us-east-1:123456789012:template/nope",
        ]
    ),
    "TemplateData": st.sampled_from(['{"name": "Ann"}', "{}", "not json", "[]"]),
    "Policy": st.sampled_from(['{"Version": "2012-10-17", "Statement": []}', "nope"]),
    "Cidr": st.sampled_from(["10.0.0.0/8", "1.2.3.4", "300.1.1.1/2"]),
    "Ip": st.sampled_from(["198.51.100.7", "203.0.113.9"]),
    "Region": st.sampled_from(["us-west-2", "eu-west-1", "us-east-1"]),
}


def _string(shape: Shape, name: str) -> st.SearchStrategy[str]:
    enum = getattr(shape, "enum", None)
    if enum:
        return st.sampled_from(list(enum))
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 64)
    base = _BY_NAME.get(name)
    if base is None:
        base = NAMES | FREE_TEXT if shape.metadata.get("pattern") is None else NAMES
    return base.filter(lambda v: low <= len(v) <= high) | st.text(min_size=low, max_size=min(high, low + 8))


# EndpointId sends a request to another host (a multi-region endpoint): not one the emulator can receive.
_CLIENT_SIDE = frozenset({"EndpointId"})


def from_shape(shape: Shape, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape`` (timestamps as epoch numbers, blobs as bytes), as boto3 takes them."""
    kind = shape.type_name
    if kind == "structure":
        members = {k: m for k, m in shape.members.items() if k not in _CLIENT_SIDE}  # type: ignore[attr-defined]
        required = set(shape.required_members)  # type: ignore[attr-defined]
        if getattr(shape, "is_tagged_union", False):  # exactly one member, as botocore demands
            return st.one_of(
                [st.fixed_dictionaries({k: from_shape(m, k, depth + 1)}) for k, m in members.items()]
            )
        if depth > 4:
            return st.fixed_dictionaries({k: from_shape(members[k], k, depth + 1) for k in required})
        optional = {k: from_shape(m, k, depth + 1) for k, m in members.items() if k not in required}
        return st.fixed_dictionaries(
            {k: from_shape(members[k], k, depth + 1) for k in required}, optional=optional
        )
    if kind == "list":
        low = shape.metadata.get("min", 0)
        return st.lists(from_shape(shape.member, name, depth + 1), min_size=low, max_size=max(low, 3))  # type: ignore[attr-defined]
    if kind == "map":
        low = shape.metadata.get("min", 0)
        return st.dictionaries(
            from_shape(shape.key, "", depth + 1),  # type: ignore[attr-defined]
            from_shape(shape.value, name, depth + 1),  # type: ignore[attr-defined]
            min_size=low,
            max_size=max(low, 3),
        )
    if kind == "string":
        return _string(shape, name)
    if kind in ("integer", "long"):
        return st.integers(shape.metadata.get("min", -5), shape.metadata.get("max", 1000))
    if kind in ("double", "float"):
        return st.floats(0, 1000, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.floats(1.7e9, 1.8e9)
    if kind == "blob":
        return st.sampled_from([RAW, b"", b"\x00\xff"])
    return st.none()


RAW = b"From: news@example.com\r\nTo: ann@example.com\r\nSubject: Hi\r\n\r\nhello\r\n"
_MINIMAL = {
    "EmailIdentity": "example.com",
    "EmailAddress": "ann@example.com",
    "Identity": "example.com",
    "Domain": "example.com",
    "Source": "news@example.com",
    "FromEmailAddress": "news@example.com",
    "BounceSender": "news@example.com",
    "Recipient": "ann@example.com",
    "ConfigurationSetName": "seeded-marketing",
    "ContactListName": "news",
    "TemplateName": "welcome",
    "Template": "welcome",
    "TemplateData": '{"name": "Ann"}',
    "DefaultTemplateData": '{"name": "Ann"}',
    "TemplateContent": "<p>Click to verify</p>",
    "TemplateSubject": "Verify",
    "SuccessRedirectionURL": "https://example.com/ok",
    "FailureRedirectionURL": "https://example.com/no",
    "PoolName": "pool-a",
    "DestinationPoolName": "pool-a",
    "Ip": "198.51.100.7",
    "Policy": '{"Version": "2012-10-17", "Statement": []}',
    "PolicyName": "allow",
    "RuleSetName": "rules",
    "OriginalRuleSetName": "rules",
    "RuleName": "first",
    "Name": "first",
    "FilterName": "office",
    "Cidr": "10.0.0.0/8",
    "EventDestinationName": "events",
    "TenantName": "acme",
    "EndpointName": "global",
    "Region": "us-west-2",
    "ResourceArn": "arn:aws:ses:us-east-1:123456789012:configuration-set/seeded-marketing",
    "ReputationEntityReference": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
    "ReputationEntityPolicy": "arn:aws:ses:us-east-1:aws:reputation-policy/strict",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "S3Url": "s3://imports/suppressed.csv",
    "WebsiteURL": "https://example.com",
    "SubscribedDomain": "example.com",
    "Key": "team",
    "Value": "growth",
    "Id": "q1",
    "Data": "hello",
    "TopicName": "weekly",
    "DisplayName": "Weekly",
    "DimensionName": "campaign",
    "DefaultDimensionValue": "none",
    "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",
    "TopicARN": "arn:aws:sns:us-east-1:123456789012:events",
    "IamRoleArn": "arn:aws:iam::123456789012:role/ses",
    "IAMRoleARN": "arn:aws:iam::123456789012:role/ses",
    "DeliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    "DeliveryStreamARN": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
}


_SNS = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:events"}
# Whole values for members whose required parts alone make no useful request, by (name, type).
_WHOLE: dict[tuple[str, str], Any] = {
    ("Destination", "structure"): {"ToAddresses": ["ann@example.com"]},
    ("Destinations", "list"): [{"Destination": {"ToAddresses": ["ann@example.com"]}}],
    ("TrackingOptions", "structure"): {"CustomRedirectDomain": "click.example.com"},
    ("Template", "structure"): {"TemplateName": "welcome", "SubjectPart": "Hi {{name}}", "TextPart": "x"},
    ("TemplateContent", "structure"): {"Subject": "Hi {{name}}", "Text": "Hello {{name}}"},
    ("Content", "structure"): {"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "hello"}}}},
    ("DefaultContent", "structure"): {
        "Template": {"TemplateName": "welcome", "TemplateData": '{"name": "A"}'}
    },
    ("ExportDataSource", "structure"): {
        "MessageInsightsDataSource": {"StartDate": 1_790_000_000.0, "EndDate": 1_790_086_400.0}
    },
    ("ImportDestination", "structure"): {
        "SuppressionListDestination": {"SuppressionListImportAction": "PUT"}
    },
    ("RuleNames", "list"): ["first"],
    ("Message", "structure"): {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "hello"}}},
}


def _event_destination(v1: bool) -> dict[str, Any]:
    if v1:
        return {
            "Name": "events",
            "MatchingEventTypes": ["send"],
            "SNSDestination": {"TopicARN": _SNS["TopicArn"]},
        }
    return {"MatchingEventTypes": ["SEND"], "SnsDestination": _SNS}


def minimal(shape: Shape, name: str = "", depth: int = 0) -> Any:
    """A small valid value of ``shape``: required members only, with names of the resources the test world
    creates (so most calls find what they name)."""
    kind = shape.type_name
    if (name, kind) in _WHOLE:
        return _WHOLE[(name, kind)]
    if name == "EventDestination":
        return _event_destination("SNSDestination" in shape.members)  # type: ignore[attr-defined]
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        required = shape.required_members  # type: ignore[attr-defined]
        value = {k: minimal(members[k], k, depth + 1) for k in required}
        if depth == 0 and "FromEmailAddress" in members:  # v2 sends name a sender (and SendEmail a recipient)
            value.setdefault("FromEmailAddress", "news@example.com")
            if "Destination" in members:
                value.setdefault("Destination", {"ToAddresses": ["ann@example.com"]})
        return value
    if kind == "list":
        return [minimal(shape.member, name, depth + 1) for _ in range(max(shape.metadata.get("min", 0), 1))]  # type: ignore[attr-defined]
    if kind == "map":
        return {}
    if kind == "string":
        enum = getattr(shape, "enum", None)
        if enum:
            return next(iter(enum))
        return _MINIMAL.get(name, "x" * max(shape.metadata.get("min", 1), 1))
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1_790_000_000.0
    if kind == "blob":
        return RAW
    return None
