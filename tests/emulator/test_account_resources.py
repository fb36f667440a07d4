"""The rest of an SES account, stored, listed and returned with the model's shapes and SES's errors:
account settings, dedicated IPs and pools, receipt rules and filters, custom verification mail, the
deliverability dashboard, recommendations, reputation entities, tenants, multi-region endpoints, import
jobs and tags."""

from __future__ import annotations

import time
from typing import Any

from tests.emulator.test_sending import error_of, insights

ARN = "arn:aws:ses:us-east-1:123456789012"


def test_account_settings_round_trip(sesv2: Any) -> None:
    sesv2.put_account_details(
        MailType="MARKETING",
        WebsiteURL="https://example.com",
        UseCaseDescription="news",
        ProductionAccessEnabled=True,
    )
    sesv2.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    sesv2.put_account_dedicated_ip_warmup_attributes(AutoWarmupEnabled=True)
    sesv2.put_account_vdm_attributes(
        VdmAttributes={"VdmEnabled": "ENABLED", "DashboardAttributes": {"EngagementMetrics": "ENABLED"}}
    )
    account = sesv2.get_account()
    assert (
        account["Details"]["MailType"] == "MARKETING"
        and account["Details"]["ReviewDetails"]["Status"] == "GRANTED"
    )
    assert account["SuppressionAttributes"]["SuppressedReasons"] == ["COMPLAINT"]
    assert account["DedicatedIpAutoWarmupEnabled"] is True
    assert account["VdmAttributes"]["DashboardAttributes"] == {"EngagementMetrics": "ENABLED"}


def test_the_suppression_list_applies_only_to_the_reasons_the_account_chose(sesv2: Any) -> None:
    from tests.emulator.test_sending import raw

    sesv2.put_suppressed_destination(EmailAddress="Gone@Example.org", Reason="BOUNCE")
    assert (
        sesv2.get_suppressed_destination(EmailAddress="gone@example.org")["SuppressedDestination"][
            "EmailAddress"
        ]
        == "gone@example.org"
    )
    first = sesv2.send_email(Content={"Raw": {"Data": raw("gone@example.org")}})["MessageId"]
    assert insights(sesv2, first)["gone@example.org"] == ["SEND", "BOUNCE"]
    sesv2.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    second = sesv2.send_email(Content={"Raw": {"Data": raw("gone@example.org")}})["MessageId"]
    assert "DELIVERY" in insights(sesv2, second)["gone@example.org"]
    sesv2.delete_suppressed_destination(EmailAddress="gone@example.org")
    assert error_of(sesv2.delete_suppressed_destination, EmailAddress="gone@example.org")[1] == 404


def test_dedicated_pools_and_leased_addresses(sesv2: Any, emulator: Any) -> None:
    assert sesv2.get_dedicated_ips()["DedicatedIps"] == []  # a new account leases none
    sesv2.create_dedicated_ip_pool(PoolName="marketing")
    emulator.lease_dedicated_ips(["198.51.100.7", "198.51.100.8"])
    sesv2.put_dedicated_ip_in_pool(Ip="198.51.100.7", DestinationPoolName="marketing")
    sesv2.put_dedicated_ip_warmup_attributes(Ip="198.51.100.7", WarmupPercentage=100)
    assert sesv2.get_dedicated_ip(Ip="198.51.100.7")["DedicatedIp"] == {
        "Ip": "198.51.100.7",
        "WarmupStatus": "DONE",
        "WarmupPercentage": 100,
        "PoolName": "marketing",
    }
    assert [i["Ip"] for i in sesv2.get_dedicated_ips(PoolName="marketing")["DedicatedIps"]] == [
        "198.51.100.7"
    ]
    sesv2.create_dedicated_ip_pool(PoolName="auto", ScalingMode="MANAGED")
    assert len(sesv2.get_dedicated_ips(PoolName="auto")["DedicatedIps"]) == 2  # SES provisions a managed pool
    assert error_of(sesv2.put_dedicated_ip_in_pool, Ip="198.51.100.8", DestinationPoolName="auto")[0] == (
        "BadRequestException"
    )
    assert error_of(sesv2.put_dedicated_ip_pool_scaling_attributes, PoolName="auto", ScalingMode="STANDARD")[
        0
    ] == ("BadRequestException")
    assert error_of(sesv2.get_dedicated_ip, Ip="203.0.113.1")[:2] == ("NotFoundException", 404)
    assert sorted(sesv2.list_dedicated_ip_pools()["DedicatedIpPools"]) == ["auto", "marketing"]
    sesv2.delete_dedicated_ip_pool(PoolName="marketing")
    assert "PoolName" not in sesv2.get_dedicated_ip(Ip="198.51.100.7")["DedicatedIp"]


def test_receipt_rule_sets_rules_and_filters(ses: Any) -> None:
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule(RuleSetName="inbound", Rule={"Name": "b", "Recipients": ["help@example.com"]})
    ses.create_receipt_rule(RuleSetName="inbound", Rule={"Name": "a"})
    ses.create_receipt_rule(
        RuleSetName="inbound",
        After="a",
        Rule={"Name": "c", "Actions": [{"SNSAction": {"TopicArn": "arn:aws:sns:us-east-1:1:in"}}]},
    )
    names = [r["Name"] for r in ses.describe_receipt_rule_set(RuleSetName="inbound")["Rules"]]
    assert names == ["a", "c", "b"]
    ses.reorder_receipt_rule_set(RuleSetName="inbound", RuleNames=["b", "c", "a"])
    ses.set_receipt_rule_position(RuleSetName="inbound", RuleName="a")
    assert [r["Name"] for r in ses.describe_receipt_rule_set(RuleSetName="inbound")["Rules"]] == [
        "a",
        "b",
        "c",
    ]
    assert (
        error_of(
            ses.create_receipt_rule,
            RuleSetName="inbound",
            Rule={"Name": "d", "Actions": [{"LambdaAction": {"FunctionArn": "nope"}}]},
        )[0]
        == "InvalidLambdaFunction"
    )
    ses.set_active_receipt_rule_set(RuleSetName="inbound")
    assert ses.describe_active_receipt_rule_set()["Metadata"]["Name"] == "inbound"
    assert error_of(ses.delete_receipt_rule_set, RuleSetName="inbound")[0] == "CannotDelete"
    ses.clone_receipt_rule_set(RuleSetName="copy", OriginalRuleSetName="inbound")
    assert len(ses.describe_receipt_rule_set(RuleSetName="copy")["Rules"]) == 3
    assert error_of(ses.describe_receipt_rule, RuleSetName="copy", RuleName="zz")[0] == "RuleDoesNotExist"
    ses.create_receipt_filter(
        Filter={"Name": "office", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}}
    )
    assert error_of(
        ses.create_receipt_filter,
        Filter={"Name": "bad", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/99"}},
    )[0] == ("InvalidParameterValue")
    assert [f["Name"] for f in ses.list_receipt_filters()["Filters"]] == ["office"]


def test_custom_verification_mail_verifies_the_address_after_the_delay(make_emulator: Any) -> None:
    from tests.emulator.conftest import client

    emulator = make_emulator(verification_delay=0.5)
    ses, sesv2 = client("ses", emulator), client("sesv2", emulator)
    fields = {
        "TemplateName": "welcome",
        "FromEmailAddress": "team@example.com",
        "TemplateSubject": "Verify",
        "TemplateContent": "<p>Please verify</p>",
        "SuccessRedirectionURL": "https://example.com/ok",
        "FailureRedirectionURL": "https://example.com/no",
    }
    assert (
        error_of(ses.create_custom_verification_email_template, **fields)[0] == "FromEmailAddressNotVerified"
    )
    sesv2.create_email_identity(EmailIdentity="example.com")
    time.sleep(0.6)
    sesv2.create_custom_verification_email_template(**fields)
    assert ses.get_custom_verification_email_template(TemplateName="welcome")["TemplateSubject"] == "Verify"
    message_id = ses.send_custom_verification_email(EmailAddress="new@example.org", TemplateName="welcome")[
        "MessageId"
    ]
    assert insights(sesv2, message_id)["new@example.org"][0] == "SEND"
    assert sesv2.get_email_identity(EmailIdentity="new@example.org")["VerificationStatus"] == "PENDING"
    time.sleep(0.6)
    assert sesv2.get_email_identity(EmailIdentity="new@example.org")["VerificationStatus"] == "SUCCESS"


def test_deliverability_dashboard_tests_and_statistics(sesv2: Any, emulator: Any) -> None:
    from tests.emulator.test_sending import raw

    sesv2.create_email_identity(EmailIdentity="example.com")
    assert (
        error_of(
            sesv2.list_domain_deliverability_campaigns,
            SubscribedDomain="example.com",
            StartDate=0,
            EndDate=time.time(),
        )[1]
        == 404
    )
    sesv2.put_deliverability_dashboard_option(
        DashboardEnabled=True, SubscribedDomains=[{"Domain": "example.com"}]
    )
    assert sesv2.get_deliverability_dashboard_options()["AccountStatus"] == "ACTIVE"
    for _ in range(2):
        sesv2.send_email(Content={"Raw": {"Data": raw("a@gmail.com")}})
    campaigns = sesv2.list_domain_deliverability_campaigns(
        SubscribedDomain="example.com", StartDate=time.time() - 60, EndDate=time.time() + 1
    )["DomainDeliverabilityCampaigns"]
    assert len(campaigns) == 1 and campaigns[0]["ProjectedVolume"] == 2 and campaigns[0]["InboxCount"] == 2
    one = sesv2.get_domain_deliverability_campaign(CampaignId=campaigns[0]["CampaignId"])
    assert one["DomainDeliverabilityCampaign"]["Subject"] == "Hello there"
    report = sesv2.get_domain_statistics_report(
        Domain="example.com", StartDate=time.time() - 60, EndDate=time.time() + 1
    )
    assert report["OverallVolume"]["VolumeStatistics"]["InboxRawCount"] == 2
    created = sesv2.create_deliverability_test_report(
        FromEmailAddress="app@example.com",
        Content={"Simple": {"Subject": {"Data": "Test"}, "Body": {"Text": {"Data": "x"}}}},
    )
    time.sleep(0.35)  # the fixture's --export-delay
    got = sesv2.get_deliverability_test_report(ReportId=created["ReportId"])
    assert got["DeliverabilityTestReport"]["DeliverabilityTestStatus"] == "COMPLETED"
    assert 0 < got["OverallPlacement"]["InboxPercentage"] <= 100 and len(got["IspPlacements"]) == 5
    assert sesv2.get_blacklist_reports(BlacklistItemNames=["198.51.100.7"])["BlacklistReport"] == {
        "198.51.100.7": []
    }


def test_recommendations_open_and_turn_fixed(sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity="example.com")
    sesv2.put_email_identity_dkim_attributes(EmailIdentity="example.com", SigningEnabled=False)
    assert sesv2.list_recommendations()["Recommendations"] == []  # VDM is off
    sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    found = {r["Type"]: r["Status"] for r in sesv2.list_recommendations()["Recommendations"]}
    assert found == {"DKIM": "OPEN", "SPF": "OPEN"}
    sesv2.put_email_identity_dkim_attributes(EmailIdentity="example.com", SigningEnabled=True)
    dkim = sesv2.list_recommendations(Filter={"TYPE": "DKIM"})["Recommendations"]
    assert [r["Status"] for r in dkim] == ["FIXED"]


def test_reputation_entities_follow_the_customers_status(sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity="example.com")
    reference = f"{ARN}:identity/example.com"
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE", ReputationEntityReference=reference, SendingStatus="DISABLED"
    )
    entity = sesv2.get_reputation_entity(ReputationEntityType="RESOURCE", ReputationEntityReference=reference)
    assert entity["ReputationEntity"]["SendingStatusAggregate"] == "DISABLED"
    disabled = sesv2.list_reputation_entities(Filter={"SENDING_STATUS": "DISABLED"})["ReputationEntities"]
    assert [e["ReputationEntityReference"] for e in disabled] == [reference]
    assert (
        error_of(
            sesv2.get_reputation_entity,
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=f"{ARN}:identity/nope.org",
        )[1]
        == 404
    )


def test_tenants_associations_and_tenant_sends(sesv2: Any) -> None:
    from tests.emulator.test_sending import raw

    sesv2.create_configuration_set(ConfigurationSetName="news")
    tenant = sesv2.create_tenant(TenantName="acme", Tags=[{"Key": "tier", "Value": "gold"}])
    assert tenant["SendingStatus"] == "ENABLED" and tenant["TenantArn"].startswith(f"{ARN}:tenant/acme/")
    sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=f"{ARN}:configuration-set/news")
    assert sesv2.list_tenant_resources(TenantName="acme")["TenantResources"] == [
        {"ResourceType": "CONFIGURATION_SET", "ResourceArn": f"{ARN}:configuration-set/news"}
    ]
    assert [
        t["TenantName"]
        for t in sesv2.list_resource_tenants(ResourceArn=f"{ARN}:configuration-set/news")["ResourceTenants"]
    ] == ["acme"]
    sesv2.send_email(Content={"Raw": {"Data": raw()}}, TenantName="acme")
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}}, TenantName="nope")[1] == 404
    sesv2.delete_tenant(TenantName="acme")
    assert sesv2.list_resource_tenants(ResourceArn=f"{ARN}:configuration-set/news")["ResourceTenants"] == []


def test_multi_region_endpoint_becomes_ready(sesv2: Any) -> None:
    created = sesv2.create_multi_region_endpoint(
        EndpointName="global", Details={"RoutesDetails": [{"Region": "eu-west-1"}]}
    )
    assert created["Status"] == "CREATING"
    time.sleep(0.35)
    endpoint = sesv2.get_multi_region_endpoint(EndpointName="global")
    assert endpoint["Status"] == "READY" and endpoint["Routes"] == [
        {"Region": "us-east-1"},
        {"Region": "eu-west-1"},
    ]
    assert (
        error_of(
            sesv2.create_multi_region_endpoint,
            EndpointName="x",
            Details={"RoutesDetails": [{"Region": "us-east-1"}]},
        )[0]
        == "BadRequestException"
    )
    assert sesv2.delete_multi_region_endpoint(EndpointName="global")["Status"] == "DELETING"


def test_import_jobs_read_objects_put_through_the_hook(sesv2: Any, emulator: Any) -> None:
    emulator.put_object(
        "lists/suppressed.csv", b"a@example.org,BOUNCE\nb@example.org,COMPLAINT\nbad,BOUNCE\n"
    )
    job = sesv2.create_import_job(
        ImportDestination={"SuppressionListDestination": {"SuppressionListImportAction": "PUT"}},
        ImportDataSource={"S3Url": "s3://lists/suppressed.csv", "DataFormat": "CSV"},
    )
    time.sleep(0.35)
    got = sesv2.get_import_job(JobId=job["JobId"])
    assert (
        got["JobStatus"] == "COMPLETED"
        and got["ProcessedRecordsCount"] == 3
        and got["FailedRecordsCount"] == 1
    )
    assert sesv2.get_suppressed_destination(EmailAddress="b@example.org")["SuppressedDestination"][
        "Reason"
    ] == ("COMPLAINT")
    missing = sesv2.create_import_job(
        ImportDestination={"SuppressionListDestination": {"SuppressionListImportAction": "PUT"}},
        ImportDataSource={"S3Url": "s3://lists/nothing.csv", "DataFormat": "CSV"},
    )
    time.sleep(0.35)
    failed = sesv2.get_import_job(JobId=missing["JobId"])
    assert (
        failed["JobStatus"] == "FAILED"
        and "PUT /_sesflow/s3/lists/nothing.csv" in failed["FailureInfo"]["ErrorMessage"]
    )
    assert len(sesv2.list_import_jobs(ImportDestinationType="SUPPRESSION_LIST")["ImportJobs"]) == 2


def test_tags_on_taggable_arns(sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "s", "Text": "t"})
    arn = f"{ARN}:template/hi"
    sesv2.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sesv2.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
    sesv2.untag_resource(ResourceArn=arn, TagKeys=["b"])
    assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}]
    assert sesv2.get_email_template(TemplateName="hi")["Tags"] == [{"Key": "a", "Value": "3"}]
    assert error_of(sesv2.list_tags_for_resource, ResourceArn=f"{ARN}:template/nope")[1] == 404
    assert (
        error_of(sesv2.list_tags_for_resource, ResourceArn="arn:aws:ses:eu-west-1:123456789012:template/hi")[
            1
        ]
        == 404
    )
    sesv2.delete_email_template(TemplateName="hi")
    sesv2.create_email_template(TemplateName="hi", TemplateContent={"Subject": "s", "Text": "t"})
    assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == []  # tags went with the resource
