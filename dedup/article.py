"""Article: the unit of input."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import InputError

__all__ = ["Article", "as_article", "parse_published"]


def parse_published(value: object) -> datetime | None:
    """Parse an ISO 8601 timestamp (``2026-03-04``, ``2026-03-04T09:30:00Z``, ...) or an RFC 2822 date
    (``Tue, 04 Mar 2026 09:00:00 GMT``, as RSS writes them) to an aware datetime.

    Naive timestamps are taken as UTC. ``None`` and ``""`` give ``None``. A trailing ``Z`` is read on
    every supported Python (``datetime.fromisoformat`` reads it only from 3.11).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        found = _iso_8601(value.strip()) or _rfc_2822(value.strip())
        if found is None:
            raise InputError(
                f"published {value!r} is not an ISO 8601 or RFC 2822 date "
                "(expected e.g. '2026-03-04', '2026-03-04T09:30:00Z' or 'Tue, 04 Mar 2026 09:30:00 GMT')"
            )
        parsed = found
    else:
        raise InputError(f"published must be an ISO 8601 or RFC 2822 string; got {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _iso_8601(text: str) -> datetime | None:
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _rfc_2822(text: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class Article:
    """One news article.

    ``id`` and ``text`` are required; ``title``, ``source`` and ``published`` (an ISO 8601
    string or a datetime; naive times are UTC) are optional.
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    published: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.id, bool) or not isinstance(self.id, (str, int)):
            raise InputError(f"article id must be a string; got {type(self.id).__name__}")
        if not isinstance(self.id, str):
            object.__setattr__(self, "id", str(self.id))
        if self.id == "":
            raise InputError("article id must not be empty")
        if isinstance(self.text, bytes):
            raise InputError(f"article {self.id!r}: text is bytes; decode it first, e.g. data.decode('utf-8')")
        if not isinstance(self.text, str):
            raise InputError(f"article {self.id!r}: text must be a string; got {type(self.text).__name__}")
        for name in ("title", "source"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InputError(f"article {self.id!r}: {name} must be a string or None; got {type(value).__name__}")
        try:
            object.__setattr__(self, "published", parse_published(self.published))
        except InputError as exc:
            raise InputError(f"article {self.id!r}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, id_field: str = "id", text_field: str = "text") -> Article:
        """Build an article from a mapping; unknown keys are ignored."""
        missing = [name for name in (id_field, text_field) if data.get(name) is None]
        if missing:
            present = ", ".join(repr(k) for k in data) or "none"
            raise InputError(f"missing field {missing[0]!r} (present: {present})")
        return cls(
            id=data[id_field],
            text=data[text_field],
            title=data.get("title"),
            source=data.get("source"),
            published=data.get("published"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
        }


def plain_fields(obj: object) -> tuple[str, str, str | None, str | None, datetime | None] | None:
    """``(id, text, title, source, published)`` of a plain dict that :class:`Article` would accept as it is, else ``None``.

    Plain: ``id`` a non-empty ``str``, ``text`` a ``str``, ``title`` and ``source`` ``str`` or absent,
    ``published`` absent, empty or a ``str`` (parsed here, with :class:`Article`'s error if it is not a
    date). Such a record needs none of the other checks; anything else gets them.
    """
    if type(obj) is not dict:
        return None
    article_id, text, title, source = obj.get("id"), obj.get("text"), obj.get("title"), obj.get("source")
    published = obj.get("published")
    if not (
        type(article_id) is str
        and article_id != ""
        and type(text) is str
        and (title is None or type(title) is str)
        and (source is None or type(source) is str)
        and (published is None or type(published) is str)
    ):
        return None
    try:
        when = parse_published(published)
    except InputError as exc:
        raise InputError(f"article {article_id!r}: {exc}") from None
    return article_id, text, title, source, when


def as_article(obj: Article | Mapping[str, Any]) -> Article:
    """Accept an :class:`Article` or a mapping with ``id`` and ``text``."""
    if isinstance(obj, Article):
        return obj
    plain = plain_fields(obj)
    if plain is not None:  # the common record, already valid as it is: built without the checks (same Article)
        article = object.__new__(Article)
        for name, value in zip(("id", "text", "title", "source", "published"), plain):
            object.__setattr__(article, name, value)
        return article
    if isinstance(obj, Mapping):
        return Article.from_dict(obj)
    raise InputError(f"expected an Article or a dict with 'id' and 'text'; got {type(obj).__name__}")
