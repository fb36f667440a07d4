"""The shape of a message: which multipart containers hold which parts (as Nodemailer's MailComposer).

One small function decides it; the parts render themselves (``node.py``)::

    mixed                      when there are attachments that are not inline-related
    └── alternative            when there is more than one body (text, watch-html, amp, calendar, html)
        └── related            around the html body when attachments with a cid exist and html exists
            ├── html
            └── cid parts
"""

from __future__ import annotations

from collections.abc import Sequence

from sesflow.mime.node import MimeNode

__all__ = ["shape"]


def shape(
    alternatives: Sequence[MimeNode],
    html: MimeNode | None,
    related: Sequence[MimeNode],
    attached: Sequence[MimeNode],
) -> MimeNode:
    """The root node for these parts.

    ``alternatives`` are the bodies in order (html last, and ``html`` is one of them when given);
    ``related`` are cid parts (only meaningful with html; otherwise the caller puts them in ``attached``).
    """
    use_related = html is not None and bool(related)

    def html_or_related(node: MimeNode) -> MimeNode:
        if use_related and node is html:
            return MimeNode("multipart/related", children=[node, *related])
        return node

    content: MimeNode | None
    if len(alternatives) > 1:
        content = MimeNode("multipart/alternative", children=[html_or_related(a) for a in alternatives])
    elif alternatives:
        content = html_or_related(alternatives[0])
    else:
        content = None
    if attached:
        return MimeNode("multipart/mixed", children=[*([content] if content else []), *attached])
    if content is None:
        return MimeNode("text/plain", ["charset=utf-8"], "7bit")
    return content
