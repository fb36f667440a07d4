"""Custom verification email templates (v1 and v2, one table) and SendCustomVerificationEmail: the mail is
sent from the template's verified sender and the address becomes an identity pending verification (verified
after ``--verification-delay``, as when the recipient follows the link).
"""

from __future__ import annotations

from sesflow.emulator.call import Call, Handler, invalid, model_error, paged
from sesflow.emulator.composing import compose
from sesflow.emulator.identities import check_identity_name, ensure_identity
from sesflow.emulator.region import Record
from sesflow.emulator.sending import Outgoing
from sesflow.emulator.sends import send
from sesflow.emulator.tables import Table, delete_op
from sesflow.emulator.verification import IDENTITIES, is_verified

TEMPLATES = Table(
    "custom_verification_templates",
    ("TemplateName",),
    "Custom verification email template",
    arn="custom-verification-email-template/{TemplateName}",
    quota=50,
    v1_missing="CustomVerificationEmailTemplateDoesNotExistException",
    v1_exists="CustomVerificationEmailTemplateAlreadyExistsException",
)
_FIELDS = (
    "TemplateName",
    "FromEmailAddress",
    "TemplateSubject",
    "TemplateContent",
    "SuccessRedirectionURL",
    "FailureRedirectionURL",
)
MAX_CONTENT = 10 * 1024 * 1024


def _check(call: Call, record: Record) -> None:
    sender = record.get("FromEmailAddress", "")
    if not is_verified(call.region.table(IDENTITIES), sender, call.now):
        message = f"The from address {sender} is not a verified identity in this region."
        raise (
            model_error("ses", "FromEmailAddressNotVerifiedException", message)
            if call.v1
            else invalid(call, message)
        )
    content = str(record.get("TemplateContent", ""))
    if "<script" in content.lower() or len(content.encode()) > MAX_CONTENT:
        message = "TemplateContent must be HTML of at most 10 MB without scripts."
        raise (
            model_error("ses", "CustomVerificationEmailInvalidContentException", message)
            if call.v1
            else (invalid(call, message))
        )


def create_template(call: Call) -> Record | None:
    """CreateCustomVerificationEmailTemplate (v1 answers nothing)."""
    record = {k: call.params[k] for k in _FIELDS}
    _check(call, record)
    TEMPLATES.insert(call, (record["TemplateName"],), record, call.params.get("Tags"))
    return None if call.v1 else {}


def update_template(call: Call) -> Record | None:
    """UpdateCustomVerificationEmailTemplate: the given fields replace the stored ones."""
    key = (call.params["TemplateName"],)
    record = {**TEMPLATES.require(call, key), **{k: v for k, v in call.params.items() if k in _FIELDS}}
    _check(call, record)
    TEMPLATES.replace(call, key, record)
    return None if call.v1 else {}


def get_template(call: Call) -> Record:
    """GetCustomVerificationEmailTemplate."""
    key = (call.params["TemplateName"],)
    answer = {k: v for k, v in TEMPLATES.require(call, key).items() if k in _FIELDS}
    if not call.v1:
        answer["Tags"] = call.region.tags(TEMPLATES.arn_of(call, key))
    return answer


def list_templates(call: Call) -> Record:
    """ListCustomVerificationEmailTemplates (no TemplateContent)."""
    items = [{k: r[k] for k in _FIELDS if k != "TemplateContent"} for _, r in TEMPLATES.records(call)]
    return paged(call, "CustomVerificationEmailTemplates", items, 50)


def delete_template(call: Call) -> Record | None:
    """DeleteCustomVerificationEmailTemplate (v1: also for an unknown template)."""
    if call.v1:
        if TEMPLATES.find(call, (call.params["TemplateName"],)) is not None:
            TEMPLATES.drop(call, (call.params["TemplateName"],))
        return None
    return delete_op(TEMPLATES)(call)


def send_verification(call: Call) -> Record:
    """SendCustomVerificationEmail: the verification mail, and the address pending verification."""
    template = TEMPLATES.require(call, (call.params["TemplateName"],))
    address = call.params["EmailAddress"]
    check_identity_name(call, address)  # before sending: the address becomes an identity afterwards
    _check(call, template)
    link = f"http://{call.request.host}/_sesflow/health?verified={address}"
    try:
        raw = compose(
            template["FromEmailAddress"],
            [address],
            [],
            template["TemplateSubject"],
            None,
            f'{template["TemplateContent"]}\n<p><a href="{link}">Verify {address}</a></p>',
        )
    except ValueError as error:
        raise invalid(call, str(error)) from None
    out = Outgoing(
        "SendCustomVerificationEmail", call.protocol, template["FromEmailAddress"], [address], raw, [],
        call.params.get("ConfigurationSetName"),
    )  # fmt: skip
    message_id = send(call, out)
    ensure_identity(call, address)
    return {"MessageId": message_id}


OPERATIONS: dict[tuple[str, str], Handler] = {
    (service, name): handler
    for service in ("ses", "sesv2")
    for name, handler in (
        ("CreateCustomVerificationEmailTemplate", create_template),
        ("UpdateCustomVerificationEmailTemplate", update_template),
        ("GetCustomVerificationEmailTemplate", get_template),
        ("ListCustomVerificationEmailTemplates", list_templates),
        ("DeleteCustomVerificationEmailTemplate", delete_template),
        ("SendCustomVerificationEmail", send_verification),
    )
}
