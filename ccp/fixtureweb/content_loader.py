"""Load and validate the fixture web's content: ``content/<site>.yaml`` files.

Format (one file per site, or several files for one site — articles are grouped by ``site``)::

    site: denhaag
    title: "Gemeente Den Haag (fixture)"     # optional: the site's title
    articles:
      - slug: circulaire-strategie-2030       # URL slug: lowercase letters, digits, '-'
        lang: nl                              # ISO 639-1
        title: "Den Haag Circulair 2030: de strategie"
        published: 2025-03-14T09:00:00+01:00  # ISO 8601 with a time zone, or a plain date
        updated: null                         # optional, same form
        author: "Afdeling Duurzaamheid"       # optional
        description: "One or two sentences."
        metadata: full                        # full | jsonld | none
        kind: html                            # html | pdf
        also_on: [euhub]                      # optional: republished with the same text;
                                              # an entry may be {site: urbact, slug: other-slug}
        categories: [strategy, buildings]     # optional
        body: |
          Paragraph one …

          ## A heading

          - a list item
          - another one

Funding calls and events may carry their dates, relative to the day the fixture web is built
(so a deadline in the past stays past and one in the future stays future whenever it runs)::

        published: -20                        # a whole number: days before the build day
        deadline: 25                          # days after (negative: before) the build day,
        event_start: 40                       # or an ISO date
        event_end: 42

``{deadline}``, ``{event_start}`` and ``{event_end}`` in the title, description and body are
written as the site writes dates in the article's language. With ``metadata: jsonld`` the
dates are in the page's schema.org data too (an ``Event`` node; ``expires`` and a
``MonetaryGrant`` node for a call); otherwise only the text has them.

Body paragraphs are separated by blank lines; a paragraph starting with ``## `` is a heading,
one whose lines all start with ``- `` is a bullet list.

Every problem raises :class:`ContentError` naming the file and the article slug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import yaml

__all__ = [
    "Article",
    "Block",
    "ContentError",
    "SiteContent",
    "CONTENT_DIR",
    "SITE_NAMES",
    "load_content",
    "parse_documents",
]

CONTENT_DIR = Path(__file__).resolve().parent / "content"

# The sites content may be written for (the "trouble" site has no content files).
SITE_NAMES = ("euhub", "urbact", "denhaag", "porto", "prato", "kaunas", "oslo")

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_LANG_RE = re.compile(r"^[a-z]{2}$")
_ARTICLE_KEYS = {
    "slug", "lang", "title", "published", "updated", "author", "description", "metadata",
    "kind", "also_on", "categories", "body", "deadline", "event_start", "event_end",
}
_DATE_KEYS = ("deadline", "event_start", "event_end")
_REQUIRED = ("slug", "lang", "title", "published", "description", "metadata", "kind", "body")
_FILE_KEYS = {"site", "title", "articles"}


class ContentError(ValueError):
    """Malformed fixture content: the message names the file and the article."""


@dataclass(frozen=True)
class Block:
    """One block of an article body: ``p`` (paragraph), ``h2`` (heading) or ``ul`` (list)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    site: str  # the site that publishes it (for a republished copy: the host site)
    slug: str
    lang: str
    title: str
    published: datetime
    updated: datetime | None
    author: str | None
    description: str
    metadata: str  # full | jsonld | none
    kind: str  # html | pdf
    body: str
    categories: tuple[str, ...] = ()
    also_on: tuple[tuple[str, str], ...] = ()  # (site, slug) of republished copies
    origin: tuple[str, str] | None = None  # (site, slug) of the original, for copies
    source_file: str = ""
    # a funding call's deadline and an event's days (resolved against the build day)
    deadline: date | None = None
    event_start: date | None = None
    event_end: date | None = None

    @property
    def modified(self) -> datetime:
        return self.updated or self.published

    @property
    def blocks(self) -> list[Block]:
        return parse_body(self.body)

    @property
    def paragraphs(self) -> list[str]:
        """The body as plain paragraphs (headings and list items included, for PDFs)."""
        out: list[str] = []
        for block in self.blocks:
            if block.kind == "ul":
                out.extend(f"• {item}" for item in block.items)
            else:
                out.append(block.text)
        return out

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class SiteContent:
    site: str
    title: str | None = None
    articles: list[Article] = field(default_factory=list)

    def get(self, slug: str) -> Article:
        for article in self.articles:
            if article.slug == slug:
                return article
        raise KeyError(slug)


def parse_body(body: str) -> list[Block]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("## "):
            blocks.append(Block("h2", lines[0][3:].strip()))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(Block("ul", items=tuple(line[2:].strip() for line in lines)))
        else:
            blocks.append(Block("p", " ".join(lines)))
    return blocks


def build_day() -> date:
    """The day the fixture web is built: relative dates in the content count from it."""
    return datetime.now(timezone.utc).date()


def _day(value: Any, key: str, where: str, today: date) -> date | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ContentError(f"{where}: {key}: must be a number of days or an ISO date")
    if isinstance(value, int):
        return today + timedelta(days=value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ContentError(f"{where}: {key}: {value!r} is not a number of days or an ISO date") from None


def _when(value: Any, key: str, where: str, today: date | None = None) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool):
        day = (today or build_day()) + timedelta(days=value)
        return datetime.combine(day, time(9, 0), tzinfo=timezone.utc)
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time(0, 0), tzinfo=timezone.utc)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            try:
                when = datetime.combine(
                    date.fromisoformat(value.strip()), time(0, 0), tzinfo=timezone.utc
                )
            except ValueError:
                raise ContentError(f"{where}: {key}: {value!r} is not an ISO 8601 date") from None
    else:
        raise ContentError(f"{where}: {key}: must be a date, got {type(value).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ContentError(f"{where}: {key}: {value!r} needs a time zone (e.g. +01:00 or Z)")
    return when


def _text(value: Any, key: str, where: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: {key}: must be a non-empty string")
    return value.strip()


def _with_dates(text: str, dates: dict[str, date | None], lang: str, where: str) -> str:
    from .labels import visible_date

    for key in _DATE_KEYS:
        token = "{" + key + "}"
        if token in text:
            day = dates[key]
            if day is None:
                raise ContentError(f"{where}: {token} is used but {key} is not set")
            text = text.replace(token, visible_date(datetime.combine(day, time(12, 0)), lang))
    return text


def _parse_article(raw: Any, site: str, index: int, file: str, today: date | None = None) -> Article:
    today = today or build_day()
    where = f"{file}: articles[{index}]"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: must be a mapping")
    slug = raw.get("slug")
    if isinstance(slug, str):
        where = f"{file}: article {slug!r}"
    unknown = sorted(set(map(str, raw)) - _ARTICLE_KEYS)
    if unknown:
        raise ContentError(f"{where}: unknown key(s): {', '.join(unknown)}")
    for key in _REQUIRED:
        if raw.get(key) is None:
            raise ContentError(f"{where}: {key}: is required")
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise ContentError(f"{where}: slug: must be lowercase letters, digits and '-'")
    lang = raw["lang"]
    if not isinstance(lang, str) or not _LANG_RE.match(lang):
        raise ContentError(f"{where}: lang: must be an ISO 639-1 code such as 'nl'")
    metadata = raw["metadata"]
    if metadata not in ("full", "jsonld", "none"):
        raise ContentError(f"{where}: metadata: must be one of full, jsonld, none")
    kind = raw["kind"]
    if kind not in ("html", "pdf"):
        raise ContentError(f"{where}: kind: must be html or pdf")
    published = _when(raw["published"], "published", where, today)
    updated = None
    if raw.get("updated") is not None:
        updated = _when(raw["updated"], "updated", where)
        if updated < published:
            raise ContentError(f"{where}: updated: is earlier than published")
    categories = raw.get("categories") or []
    if not isinstance(categories, list) or not all(
        isinstance(c, str) and c.strip() for c in categories
    ):
        raise ContentError(f"{where}: categories: must be a list of strings")
    also_raw = raw.get("also_on") or []
    if not isinstance(also_raw, list):
        raise ContentError(f"{where}: also_on: must be a list of site names")
    also_on: list[tuple[str, str]] = []
    for entry in also_raw:
        if isinstance(entry, str):
            target, target_slug = entry, slug
        elif isinstance(entry, dict) and set(entry) <= {"site", "slug"} and "site" in entry:
            target, target_slug = entry["site"], entry.get("slug", slug)
        else:
            raise ContentError(f"{where}: also_on: {entry!r} must be a site name or {{site, slug}}")
        if target not in SITE_NAMES:
            raise ContentError(
                f"{where}: also_on: {target!r} is not a fixture site ({', '.join(SITE_NAMES)})"
            )
        if target == site:
            raise ContentError(f"{where}: also_on: {target!r} is the article's own site")
        if not isinstance(target_slug, str) or not _SLUG_RE.match(target_slug):
            raise ContentError(f"{where}: also_on: slug {target_slug!r} is not a valid slug")
        also_on.append((target, target_slug))
    dates = {key: _day(raw.get(key), key, where, today) for key in _DATE_KEYS}
    if dates["event_end"] is not None and (dates["event_start"] is None or dates["event_end"] < dates["event_start"]):
        raise ContentError(f"{where}: event_end: needs an event_start on or before it")
    body = _text(raw["body"], "body", where)
    assert body is not None
    body = _with_dates(body, dates, lang, where)
    if not parse_body(body):
        raise ContentError(f"{where}: body: has no text")
    return Article(
        site=site,
        slug=slug,
        lang=lang,
        title=_with_dates(_text(raw["title"], "title", where) or "", dates, lang, where),
        published=published,
        updated=updated,
        author=_text(raw.get("author"), "author", where, required=False),
        description=_with_dates(_text(raw["description"], "description", where) or "", dates, lang, where),
        metadata=metadata,
        kind=kind,
        body=body,
        categories=tuple(c.strip() for c in categories),
        also_on=tuple(also_on),
        source_file=file,
        **dates,
    )


def parse_documents(documents: Iterable[tuple[str, Any]]) -> dict[str, SiteContent]:
    """Validate parsed documents ``(file name, data)`` and group their articles by site.

    Republished copies (``also_on``) are added to their host sites, with ``origin`` set.
    """
    sites: dict[str, SiteContent] = {}
    for file, data in documents:
        if not isinstance(data, dict):
            raise ContentError(f"{file}: must be a mapping with site, title and articles")
        unknown = sorted(set(map(str, data)) - _FILE_KEYS)
        if unknown:
            raise ContentError(f"{file}: unknown key(s): {', '.join(unknown)}")
        site = data.get("site")
        if site not in SITE_NAMES:
            raise ContentError(f"{file}: site: {site!r} is not one of {', '.join(SITE_NAMES)}")
        title = data.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ContentError(f"{file}: title: must be a non-empty string")
        articles = data.get("articles")
        if not isinstance(articles, list) or not articles:
            raise ContentError(f"{file}: articles: must be a non-empty list")
        content = sites.setdefault(site, SiteContent(site))
        if title:
            if content.title and content.title != title.strip():
                raise ContentError(f"{file}: title: differs from another file of site {site!r}")
            content.title = title.strip()
        for index, raw in enumerate(articles):
            article = _parse_article(raw, site, index, file)
            if any(a.slug == article.slug for a in content.articles):
                raise ContentError(
                    f"{file}: article {article.slug!r}: slug is used twice on site {site!r}"
                )
            content.articles.append(article)

    # Republished copies: the same text on another site, under that site's chrome.
    copies: list[Article] = []
    for content in sites.values():
        for article in content.articles:
            for target, target_slug in article.also_on:
                copies.append(
                    replace(
                        article,
                        site=target,
                        slug=target_slug,
                        also_on=(),
                        origin=(article.site, article.slug),
                    )
                )
    for copy in copies:
        host = sites.setdefault(copy.site, SiteContent(copy.site))
        if any(a.slug == copy.slug for a in host.articles):
            assert copy.origin is not None
            raise ContentError(
                f"{copy.source_file}: article {copy.origin[1]!r}: also_on: slug {copy.slug!r} "
                f"is already used on site {copy.site!r}"
            )
        host.articles.append(copy)
    for content in sites.values():
        content.articles.sort(key=lambda a: (a.published, a.slug), reverse=True)
    return sites


def load_content(directory: Path | str | None = None) -> dict[str, SiteContent]:
    """Read every ``*.yaml`` file of *directory* (default: the packaged ``content/``)."""
    directory = Path(directory) if directory is not None else CONTENT_DIR
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ContentError(f"{directory}: no content files (*.yaml)")
    documents = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError(f"{path.name}: cannot be read ({exc})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            raise ContentError(f"{path.name}: not valid YAML{line}: {exc}") from None
        documents.append((path.name, data))
    return parse_documents(documents)
