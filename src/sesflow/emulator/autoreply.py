"""The mailbox simulator's automatic response: mail delivered to ``ooto@simulator.amazonses.com`` (also with
``+label``) is answered with an out-of-the-office reply, as AWS documents.

AWS sends the reply to the address in the message's ``Return-Path`` header, or to the envelope sender when
there is none. The emulator keeps the reply as an inbound message (with ``auto_reply_to`` naming the MessageId
it answers) so tests can see it at ``GET /_sesflow/messages``; it is not a send of the account, so it is in
no export, quota or sends log.
"""

from __future__ import annotations

import email.message
import email.policy
import email.utils

from sesflow.emulator.messages import LiveMessage

OPERATION = "AutoReply"
_BODY = (
    "I am out of the office and will read your message when I return.\n\n"
    "(An automatic reply from the Amazon SES mailbox simulator, as the sesflow emulator models it.)\n"
)


def reply_address(return_path: list[str], envelope_sender: str) -> str:
    """Where an automatic reply goes: the ``Return-Path`` header's address, else the envelope sender."""
    for value in return_path:
        address = email.utils.parseaddr(value)[1]
        if "@" in address:
            return address
    return envelope_sender


def ses_message_id_header(message_id: str, region: str) -> str:
    """The ``Message-ID`` SES gives a message it sends: ``<ID@email.amazonses.com>`` (us-east-1) or
    ``<ID@REGION.amazonses.com>``."""
    host = "email" if region == "us-east-1" else region
    return f"<{message_id}@{host}.amazonses.com>"


def ooto_reply(
    original: LiveMessage, mailbox: str, to: str, reply_id: str, at: float, region: str
) -> LiveMessage:
    """The out-of-the-office reply of simulator ``mailbox`` to ``original``, arriving at ``at``."""
    answered = ses_message_id_header(original.message_id, region)
    reply = email.message.EmailMessage()
    reply["From"] = mailbox
    reply["To"] = to
    reply["Subject"] = f"Automatic reply: {original.subject}" if original.subject else "Automatic reply"
    reply["Date"] = email.utils.formatdate(at, usegmt=True)
    reply["Message-ID"] = f"<{reply_id}@simulator.amazonses.com>"
    reply["In-Reply-To"] = answered
    reply["References"] = answered
    reply["Auto-Submitted"] = "auto-replied"  # RFC 3834
    reply["MIME-Version"] = "1.0"
    reply.set_content(_BODY)
    raw = reply.as_bytes(policy=email.policy.SMTP)
    return LiveMessage(reply_id, at, mailbox, (to,), raw, OPERATION, auto_reply_to=original.message_id)
