"""Every operation of botocore's ``ses`` and ``sesv2`` models, called through boto3 against the emulator.

Generated from the models: each operation gets a small valid input (``strategies.minimal``) in a world of
resources it can find, on a fresh emulator. No call may answer InvalidAction/UnknownOperationException;
every success is checked against the output shape (``shapes.checked``); every error must be one the model
declares for that operation, with the model's HTTP status. A second, property-based test draws random
valid inputs for random operations and allows no 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesflow.emulator import Emulator, model
from sesflow.emulator.call import COMMON_ERRORS
from sesflow.emulator.operations import OPERATIONS
from tests.emulator.conftest import FAST
from tests.emulator.shapes import checked
from tests.emulator.strategies import from_shape, minimal

ALL = [(svc, op) for svc in ("ses", "sesv2") for op in model.operation_names(svc)]
COMMON = {"ses": set(COMMON_ERRORS), "sesv2": {"BadRequestException"}}
# Operations that cannot succeed on the minimal input in the prepared world, and why (SES would answer the
# same). Everything else must succeed.
EXPECTED = {
    ("sesv2", "CreateContactList"): "AlreadyExistsException",
    ("sesv2", "CreateEmailIdentity"): "AlreadyExistsException",
    ("sesv2", "CreateConfigurationSet"): "AlreadyExistsException",
    ("sesv2", "CreateEmailTemplate"): "AlreadyExistsException",
    ("sesv2", "CreateDedicatedIpPool"): "AlreadyExistsException",
    ("sesv2", "CreateContact"): "AlreadyExistsException",
    ("sesv2", "CreateTenant"): "AlreadyExistsException",
    ("sesv2", "CreateMultiRegionEndpoint"): "AlreadyExistsException",
    ("sesv2", "CreateEmailIdentityPolicy"): "AlreadyExistsException",
    ("sesv2", "CreateConfigurationSetEventDestination"): "AlreadyExistsException",
    ("sesv2", "CreateCustomVerificationEmailTemplate"): "AlreadyExistsException",
    ("sesv2", "CreateTenantResourceAssociation"): "AlreadyExistsException",
    ("sesv2", "AssociateEmailIdentityCertificate"): "AlreadyExistsException",
    ("ses", "CreateConfigurationSetEventDestination"): "EventDestinationAlreadyExists",
    ("ses", "CreateConfigurationSetTrackingOptions"): "TrackingOptionsAlreadyExistsException",
    ("ses", "CreateCustomVerificationEmailTemplate"): "CustomVerificationEmailTemplateAlreadyExists",
    ("ses", "CreateReceiptRule"): "AlreadyExists",
    ("ses", "CreateReceiptRuleSet"): "AlreadyExists",
    ("ses", "CreateTemplate"): "AlreadyExists",
    ("ses", "CloneReceiptRuleSet"): "AlreadyExists",
    ("ses", "DeleteReceiptRuleSet"): "CannotDelete",  # the world's rule set is the active one
    ("ses", "SendBounce"): "InvalidParameterValue",  # no received message with the id "x"
    ("sesv2", "GetMessageInsights"): "NotFoundException",  # no message with the id "x"
    ("sesv2", "GetExportJob"): "NotFoundException",  # no job with the id "x"
    ("sesv2", "CancelExportJob"): "NotFoundException",
    ("sesv2", "GetImportJob"): "NotFoundException",
    ("sesv2", "GetDeliverabilityTestReport"): "NotFoundException",
    ("sesv2", "GetDomainDeliverabilityCampaign"): "NotFoundException",
}


def _client(service: str, endpoint: str) -> Any:
    return checked(
        boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDEVERY",
            aws_secret_access_key="secret",
            config=Config(retries={"total_max_attempts": 1}),
        )
    )


def prepare(ses: Emulator) -> None:
    """A world where the minimal inputs name things that exist."""
    ses.seed(count=30, start="2026-10-01T00:00:00Z", end="2026-10-02T00:00:00Z", seed=3)
    v1, v2 = _client("ses", ses.endpoint_url), _client("sesv2", ses.endpoint_url)
    v2.create_email_identity(EmailIdentity="ann@example.com")
    v2.create_email_identity_policy(
        EmailIdentity="example.com", PolicyName="allow", Policy='{"Version": "2012-10-17", "Statement": []}'
    )
    v2.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    v2.create_contact_list(
        ContactListName="news",
        Topics=[{"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"}],
    )
    v2.create_contact(ContactListName="news", EmailAddress="ann@example.com")
    v2.create_dedicated_ip_pool(PoolName="pool-a")
    ses.lease_dedicated_ips(["198.51.100.7"], pool="pool-a")
    sns = {
        "MatchingEventTypes": ["SEND"],
        "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"},
    }
    for name in ("events", "first"):
        v2.create_configuration_set_event_destination(
            ConfigurationSetName="seeded-marketing", EventDestinationName=name, EventDestination=sns
        )
    v2.put_configuration_set_tracking_options(
        ConfigurationSetName="seeded-marketing", CustomRedirectDomain="click.example.com"
    )
    v2.create_tenant(TenantName="acme")
    v2.create_tenant_resource_association(
        TenantName="acme", ResourceArn="arn:aws:ses:us-east-1:123456789012:configuration-set/seeded-marketing"
    )
    v2.create_multi_region_endpoint(
        EndpointName="global", Details={"RoutesDetails": [{"Region": "us-west-2"}]}
    )
    v2.create_custom_verification_email_template(
        TemplateName="welcome",
        FromEmailAddress="news@example.com",
        TemplateSubject="Verify",
        TemplateContent="<p>Verify</p>",
        SuccessRedirectionURL="https://example.com/ok",
        FailureRedirectionURL="https://example.com/no",
    )
    v2.associate_email_identity_certificate(
        EmailIdentity="example.com", CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/a"
    )
    v2.put_suppressed_destination(EmailAddress="ann@example.com", Reason="BOUNCE")
    v2.put_deliverability_dashboard_option(
        DashboardEnabled=True, SubscribedDomains=[{"Domain": "example.com"}]
    )
    v1.create_receipt_rule_set(RuleSetName="rules")
    v1.create_receipt_rule(RuleSetName="rules", Rule={"Name": "first"})
    v1.set_active_receipt_rule_set(RuleSetName="rules")
    v1.create_receipt_filter(Filter={"Name": "office", "IpFilter": {"Policy": "Allow", "Cidr": "10.0.0.0/8"}})
    ses.put_object("imports/suppressed.csv", b"gone@example.com,BOUNCE\n")


@pytest.fixture(scope="module")
def worlds() -> Iterator[Any]:
    started: list[Emulator] = []

    def make() -> Emulator:
        ses = Emulator(port=0, **FAST).start()
        started.append(ses)
        prepare(ses)
        return ses

    yield make
    for ses in started:
        ses.stop()


def test_every_operation_of_both_models_has_a_handler() -> None:
    assert [key for key in ALL if key not in OPERATIONS] == []
    assert len([k for k in OPERATIONS if k[0] == "ses"]) == len(model.operation_names("ses")) == 71
    assert len([k for k in OPERATIONS if k[0] == "sesv2"]) == len(model.operation_names("sesv2")) == 117


def _declared(service: str, operation: str) -> dict[str, int]:
    codes = {}
    for name in model.operation_errors(service, operation):
        spec = model.error_spec(service, name)
        codes[spec.code] = spec.status
    return codes


@pytest.mark.parametrize(("service", "operation"), ALL, ids=[f"{s}.{o}" for s, o in ALL])
def test_operation_answers_its_minimal_input(service: str, operation: str, worlds: Any) -> None:
    ses = worlds()
    shape = model.input_shape(service, operation)
    params = minimal(shape) if shape is not None else {}
    client = _client(service, ses.endpoint_url)
    try:
        client._make_api_call(operation, params)
    except ClientError as caught:
        error = caught.response["Error"]["Code"]
        status = caught.response["ResponseMetadata"]["HTTPStatusCode"]
        assert error not in ("InvalidAction", "UnknownOperationException"), caught
        declared = _declared(service, operation)
        assert error in declared or error in COMMON[service], (
            f"{operation} answered undeclared {error}: {caught}"
        )
        if error in declared:
            assert status == declared[error], (
                f"{operation}: {error} came with {status}, the model says {declared[error]}"
            )
        assert EXPECTED.get((service, operation)) == error, f"{operation} failed: {caught}"
        return
    assert EXPECTED.get((service, operation)) is None, (
        f"{operation} succeeded, expected {EXPECTED[(service, operation)]}"
    )


@st.composite
def calls(draw: Any) -> tuple[str, str, dict[str, Any]]:
    service, operation = draw(st.sampled_from(ALL))
    shape = model.input_shape(service, operation)
    params = draw(from_shape(shape)) if shape is not None else {}
    return service, operation, params


@pytest.fixture(scope="module")
def shared_world(worlds: Any) -> Any:
    ses = worlds()
    return ses, {svc: _client(svc, ses.endpoint_url) for svc in ("ses", "sesv2")}


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=calls())
def test_random_valid_inputs_get_a_declared_answer_never_a_500(shared_world: Any, call: Any) -> None:
    service, operation, params = call
    client = shared_world[1][service]
    try:
        client._make_api_call(operation, params)
    except ClientError as caught:
        status = caught.response["ResponseMetadata"]["HTTPStatusCode"]
        error = caught.response["Error"]["Code"]
        assert status < 500, caught
        assert error in _declared(service, operation) or error in COMMON[service], caught
