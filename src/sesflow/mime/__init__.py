"""Message composition: a typed ``Message`` -> RFC 5322 bytes, as Nodemailer's MailComposer builds them.

``compose(Message(...)) -> Composed`` (``.raw`` CRLF bytes, ``.envelope``, ``.message_id``). The tree shape
is decided by ``tree.shape`` (single part, multipart/alternative, /related, /mixed and their nesting); each
``node.MimeNode`` renders itself. Bodies are encoded with ``binascii`` (7bit, quoted-printable, base64);
identical attachment content is encoded once (``cache.EncodedCache``).

Custom header rule (``Message.headers``):

- ``From``, ``To``, ``Cc``, ``Bcc``, ``Message-ID``, ``Date``, ``MIME-Version``, ``Content-Type`` and
  ``Content-Transfer-Encoding`` can never be set as custom headers: compose raises MessageError naming
  the header and the Message field to use instead (``from_``, ``to``, ``message_id``, ``date``...).
- ``Subject``, ``Sender``, ``Reply-To``, ``In-Reply-To``, ``References``, the priority headers
  (``X-Priority``, ``X-MSMail-Priority``, ``Importance``) and ``List-*`` are written from their Message
  field; a custom header of the same name is used as given when that field is unset, and refused with
  MessageError when both are set. Nothing is ever replaced silently.
- Any other header is added after the generated ones, in the mapping's order; a list value writes the
  header once per item. Names are case-insensitive (the same name twice is refused); values are
  unstructured text (non-ASCII becomes RFC 2047 encoded words); CR or LF in a name or value is refused.
"""

from __future__ import annotations

from sesflow.mime.cache import DEFAULT_CACHE, CacheStats, EncodedCache
from sesflow.mime.compose import PROTECTED_HEADERS, compose
from sesflow.mime.content import ContentLimits
from sesflow.mime.model import (
    Address,
    Attachment,
    Composed,
    DkimOptions,
    Envelope,
    Group,
    IcalEvent,
    Message,
)

__all__ = [
    "DEFAULT_CACHE",
    "PROTECTED_HEADERS",
    "Address",
    "Attachment",
    "CacheStats",
    "Composed",
    "ContentLimits",
    "DkimOptions",
    "EncodedCache",
    "Envelope",
    "Group",
    "IcalEvent",
    "Message",
    "compose",
]
