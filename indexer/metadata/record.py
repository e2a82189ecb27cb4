"""What a page declares about itself, as read by :func:`indexer.metadata.extract_metadata`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PageMetadata:
    title: str | None = None  # the best title, site name removed
    title_source: str | None = None  # "meta" (og/twitter/DC) | "jsonld" | "html" (<title>) | "h1"
    html_title: str | None = None
    html_title_generic: bool = False  # the <title> is the site's name or unrelated to the <h1>
    og_title: str | None = None
    headline: str | None = None  # JSON-LD headline / name of the primary node
    h1: str | None = None  # the article's <h1> (inside <article>/<main> when there is one)
    h1_in_main: bool = False  # that <h1> is inside <article>/<main>/role=main
    site_name: str | None = None
    site_names: list[str] = field(default_factory=list)  # every name of the site found on the page
    shown_date: datetime | None = None  # the date printed in the article's header
    description: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None  # ISO 639-1 from lang / og:locale / inLanguage
    licence: str | None = None
    canonical_url: str | None = None  # absolute, as written
    # <link rel="alternate" hreflang>: (language code, absolute URL), x-default and self left out
    alternates: list[tuple[str, str]] = field(default_factory=list)
    publisher: str | None = None
    keywords: list[str] = field(default_factory=list)  # meta keywords, article:tag, section
    schema_types: list[str] = field(default_factory=list)  # JSON-LD/microdata types, og:type
    breadcrumbs: list[str] = field(default_factory=list)  # the section path (home, page left out)
    headings: list[str] = field(default_factory=list)  # the article's h1 and h2 texts
    lead: str | None = None  # the article's marked lead paragraph
    event_start: str | None = None  # start date in event markup (JSON-LD, microdata, h-event)


class Markup:
    """The page's source, lower-cased, to ask whether some markup occurs in it at all before
    searching the tree for it. Without the source (``None``) everything may occur."""

    __slots__ = ("_low",)

    def __init__(self, html: str | None = None):
        self._low = html.lower() if html is not None else None

    def has(self, *words: str) -> bool:
        """Whether any of ``words`` (lower case) may occur in the page."""
        low = self._low
        return low is None or any(w in low for w in words)
