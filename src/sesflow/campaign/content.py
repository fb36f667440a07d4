"""What a campaign sends, resolved: template texts read, attachments read and hashed, as one frozen value.

``CampaignContent`` is stored in the ledger with the campaign, so ``resume NAME`` sends exactly what the first
run validated even when the campaign file is gone or was edited since; its ``fingerprint`` tells a rerun of
the same campaign from different content under the same name. Attachments are kept by absolute path and
SHA-256: a file that changed since is refused rather than sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sesflow.campaign.spec import CampaignSpec, Template, TemplateFile
from sesflow.errors import ConfigError


@dataclass(frozen=True)
class TemplateText:
    """A template's source and where it came from (``subject`` or a file path), for error messages."""

    source: str
    origin: str


@dataclass(frozen=True)
class FilePart:
    """An attachment or inline image: its file, name, type, SHA-256 and (for inline images) content id."""

    path: str
    filename: str
    sha256: str
    content_type: str | None = None
    cid: str | None = None

    def read(self) -> bytes:
        """The file's bytes; ConfigError when it is gone or changed since the campaign was created."""
        try:
            data = Path(self.path).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"attachment {self.path} cannot be read: {exc.strerror or exc}",
                hint="Put the file back where it was when the campaign was created.",
            ) from None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ConfigError(
                f"attachment {self.path} changed since the campaign was created",
                hint="Restore it, or start a new campaign with `sesflow campaign send FILE --new`.",
            )
        return data


@dataclass(frozen=True)
class CampaignContent:
    """Everything that decides the messages of a campaign, resolved and ready to render."""

    name: str
    from_: str
    subject: TemplateText
    text: TemplateText | None
    html: TemplateText | None
    reply_to: str | None = None
    attachments: tuple[FilePart, ...] = ()
    inline_images: tuple[FilePart, ...] = ()
    unsubscribe_url: TemplateText | None = None
    unsubscribe_mailto: str | None = None
    one_click: bool = True
    tags: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    configuration_set: str | None = None
    email_column: str = "email"
    name_column: str | None = None

    def to_json(self) -> str:
        """The content as JSON text (what the ledger stores)."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CampaignContent:
        """The content the ledger stored."""
        data = json.loads(text)

        def template(value: Any) -> TemplateText | None:
            return None if value is None else TemplateText(**value)

        return cls(
            name=data["name"],
            from_=data["from_"],
            subject=TemplateText(**data["subject"]),
            text=template(data["text"]),
            html=template(data["html"]),
            reply_to=data["reply_to"],
            attachments=tuple(FilePart(**part) for part in data["attachments"]),
            inline_images=tuple(FilePart(**part) for part in data["inline_images"]),
            unsubscribe_url=template(data["unsubscribe_url"]),
            unsubscribe_mailto=data["unsubscribe_mailto"],
            one_click=data["one_click"],
            tags=tuple((str(k), str(v)) for k, v in data["tags"]),
            headers=tuple((str(k), str(v)) for k, v in data["headers"]),
            configuration_set=data["configuration_set"],
            email_column=data["email_column"],
            name_column=data["name_column"],
        )

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the content: the same for the same campaign, different when anything sent changes."""
        data = asdict(self)
        for part in (*data["attachments"], *data["inline_images"]):
            part.pop("path")  # moving a file does not change what is sent
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _template(value: Template | None, key: str, base: Path) -> TemplateText | None:
    if value is None:
        return None
    if isinstance(value, TemplateFile):
        path = (base / value.file).resolve()
        try:
            return TemplateText(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise ConfigError(
                f"{key}: template file {path} does not exist",
                hint="Check the path (relative to the campaign).",
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{key}: template file {path} is not UTF-8 text: {exc.reason}") from None
        except OSError as exc:
            raise ConfigError(f"{key}: cannot read template file {path}: {exc.strerror or exc}") from None
    return TemplateText(value, key)


def _file_part(
    key: str, path_text: str, base: Path, filename: str | None, content_type: str | None, cid: str | None
) -> FilePart:
    path = (base / path_text).resolve()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{key}: {path} does not exist", hint="Check the path (relative to the campaign)."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror or exc}") from None
    return FilePart(
        path=str(path),
        filename=filename or path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        cid=cid,
    )


def resolve_content(spec: CampaignSpec, base: Path) -> CampaignContent:
    """Read the templates and files ``spec`` names (relative to ``base``) into a ``CampaignContent``."""
    subject = _template(spec.subject, "subject", base)
    assert subject is not None
    attachments = tuple(
        _file_part(f"attachments[{i}]", a.path, base, a.filename, a.content_type, None)
        for i, a in enumerate(spec.attachments)
    )
    images = tuple(
        _file_part(f"inline_images[{i}]", a.path, base, a.filename, a.content_type, a.cid)
        for i, a in enumerate(spec.inline_images)
    )
    recipients = spec.recipients
    return CampaignContent(
        name=spec.name,
        from_=spec.from_,
        reply_to=spec.reply_to,
        subject=subject,
        text=_template(spec.text, "text", base),
        html=_template(spec.html, "html", base),
        attachments=attachments,
        inline_images=images,
        unsubscribe_url=None
        if spec.unsubscribe is None
        else TemplateText(spec.unsubscribe.url, "unsubscribe.url"),
        unsubscribe_mailto=None if spec.unsubscribe is None else spec.unsubscribe.mailto,
        one_click=True if spec.unsubscribe is None else spec.unsubscribe.one_click,
        tags=tuple(sorted(spec.tags.items())),
        headers=tuple(spec.headers.items()),
        configuration_set=spec.configuration_set,
        email_column=recipients.email_column if recipients else "email",
        name_column=recipients.name_column if recipients else None,
    )


__all__ = ["CampaignContent", "FilePart", "TemplateText", "resolve_content"]
