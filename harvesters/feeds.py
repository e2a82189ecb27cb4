"""Feed parsing: bytes in, entries out. Never does I/O (Scrapy fetched the bytes).

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser (handed a byte stream, so it can never
treat its input as a URL to fetch), JSON Feed 1.0/1.1 with the standard library. Encodings
follow the HTTP header, the BOM and the XML declaration (feedparser's rules).

Entry identity is stable across runs: the entry's own id/guid, else its link, else a hash of
title and date (the fallback chain for feeds whose GUIDs are missing).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from indexer.resource import Hints

PDF_TYPES = ("application/pdf", "application/x-pdf")


class NotAFeed(ValueError):
    """The bytes are not a feed we can read (the message says why)."""


@dataclass
class FeedEntry:
    guid: str
    link: str | None
    hints: Hints
    documents: list[str] = field(default_factory=list)  # PDF enclosures and links


@dataclass
class ParsedFeed:
    format: str  # rss20, atom10, rss10, json11 …
    title: str
    link: str | None
    language: str | None
    entries: list[FeedEntry]
    warning: str | None = None  # a recoverable problem feedparser reported
    # entries that could not be read: (what identifies the entry, why), the others are kept
    problems: list[tuple[str, str]] = field(default_factory=list)


def _struct_to_dt(st) -> datetime | None:
    if not st:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(st), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _fallback_guid(link: str | None, title: str | None, date: datetime | None,
                   text: str | None = None) -> str:
    if link:
        return link
    basis = f"{title or ''}|{date.isoformat() if date else ''}"
    if not title and not date:
        basis += "|" + (text or "")
    return "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _join(base: str, link: str) -> str:
    """``link`` made absolute; a link urljoin cannot parse (``http://[bad``) is kept as it is,
    for the harvester to report."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().split("-")[0].split("_")[0].lower() or None


def _is_pdf(url: str, mime: str | None) -> bool:
    return (mime or "").split(";")[0].strip().lower() in PDF_TYPES or url.lower().split("?")[0].endswith(".pdf")


def parse_feed(body: bytes, url: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes fetched from ``url``. Raises :class:`NotAFeed`."""
    if not body or not body.strip():
        raise NotAFeed("the response is empty")
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    ctype = (headers or {}).get("content-type", "").lower()
    if head in (b"{", b"[") or "json" in ctype:
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, url, headers or {})


def _parse_xml_feed(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
    resp_headers = {k.lower(): v for k, v in headers.items()}
    resp_headers.setdefault("content-location", url)
    # without a Content-Type feedparser would apply HTTP's ISO-8859-1 default; a feed is XML,
    # whose default (after the BOM and the declaration) is UTF-8
    resp_headers.setdefault("content-type", "application/xml")
    d = feedparser.parse(io.BytesIO(body), response_headers=resp_headers,
                         sanitize_html=True, resolve_relative_uris=True)
    version = d.get("version") or ""
    if not version and not d.entries:
        why = d.get("bozo_exception")
        reason = f" ({why.__class__.__name__}: {why})" if why else ""
        looks_html = b"<html" in body[:2048].lower()
        raise NotAFeed(("an HTML page, not a feed" if looks_html else "not RSS, Atom or JSON Feed")
                       + reason)
    feed = d.get("feed", {})
    base = feed.get("link") or url
    entries: list[FeedEntry] = []
    problems: list[tuple[str, str]] = []
    for n, e in enumerate(d.entries, 1):
        try:
            entries.append(_xml_entry(e, url, feed))
        except Exception as exc:  # noqa: BLE001 - one entry never costs the others
            problems.append((str(e.get("link") or e.get("id") or f"entry {n}"),
                             f"{exc.__class__.__name__}: {exc}"))
    warning = None
    if d.get("bozo"):
        exc = d.get("bozo_exception")
        warning = f"{exc.__class__.__name__}: {exc}" if exc else "the feed is not well-formed"
    return ParsedFeed(format=version or "unknown", title=(feed.get("title") or "").strip(),
                      link=_join(url, base) if base else None,
                      language=_lang(feed.get("language")), entries=entries, warning=warning,
                      problems=problems)


def _xml_entry(e, url: str, feed) -> FeedEntry:
    """One feedparser entry as a FeedEntry."""
    link = e.get("link")
    if link:
        link = _join(url, link)
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed
    # (deprecated); an entry without an update date has none
    published = _struct_to_dt(dict.get(e, "published_parsed"))
    updated = _struct_to_dt(dict.get(e, "updated_parsed"))
    content_html = None
    if e.get("content"):
        content_html = max((c.get("value") or "" for c in e["content"]), key=len) or None
    authors = [a.get("name") for a in e.get("authors", []) if a.get("name")]
    if not authors and e.get("author"):
        authors = [e["author"]]
    docs: list[str] = []
    for enc in e.get("enclosures", []):
        href = enc.get("href")
        if href and _is_pdf(href, enc.get("type")):
            docs.append(_join(url, href))
    for ln in e.get("links", []):
        href = ln.get("href")
        if href and ln.get("rel") in ("related", "alternate", "enclosure") and _is_pdf(href, ln.get("type")):
            full = _join(url, href)
            if full not in docs and full != link:
                docs.append(full)
    title = (e.get("title") or "").strip() or None
    hints = Hints(
        guid=(e.get("id") or "").strip() or _fallback_guid(link, title, published or updated,
                                                                e.get("summary") or content_html),
        title=title,
        summary=e.get("summary") or None,
        content_html=content_html,
        published=published,
        updated=updated,
        authors=authors,
        language=_lang(e.get("language") or (e.get("title_detail") or {}).get("language")
                       or feed.get("language")),
        categories=[t.get("term") for t in e.get("tags", []) if t.get("term")],
    )
    return FeedEntry(guid=hints.guid, link=link, hints=hints, documents=docs)


def _s(value) -> str | None:
    """A JSON Feed string field, or None when it is missing or not a string."""
    return value if isinstance(value, str) and value else None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotAFeed(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "jsonfeed.org/version" not in str(data.get("version", "")):
        raise NotAFeed("JSON without a JSON Feed version (https://jsonfeed.org/version/1.1)")
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeed("JSON Feed without an items list")
    feed_lang = _lang(_s(data.get("language")))
    entries: list[FeedEntry] = []
    problems: list[tuple[str, str]] = []
    for n, it in enumerate(items, 1):
        if not isinstance(it, dict):
            problems.append((f"item {n}", "a JSON Feed item must be an object"))
            continue
        try:
            entries.append(_json_entry(it, url, feed_lang))
        except Exception as exc:  # noqa: BLE001 - one item never costs the others
            problems.append((str(it.get("url") or it.get("id") or f"item {n}"),
                             f"{exc.__class__.__name__}: {exc}"))
    return ParsedFeed(format="json" + str(data["version"]).rsplit("/", 1)[-1].replace(".", ""),
                      title=str(data.get("title") or ""), link=data.get("home_page_url"),
                      language=feed_lang, entries=entries, problems=problems)


def _json_entry(it: dict, url: str, feed_lang: str | None) -> FeedEntry:
    """One JSON Feed item as a FeedEntry."""
    link = _s(it.get("url")) or _s(it.get("external_url"))
    link = _join(url, link) if link else None
    published = _iso(_s(it.get("date_published")))
    updated = _iso(_s(it.get("date_modified")))
    authors_raw = _list(it.get("authors")) or ([it["author"]] if it.get("author") else [])
    authors = [a.get("name") for a in authors_raw if isinstance(a, dict) and a.get("name")]
    title = (_s(it.get("title")) or "").strip() or None
    raw_id = it.get("id")
    text = _s(it.get("content_text")) or _s(it.get("content_html"))
    guid = (str(raw_id).strip() if raw_id not in (None, "")
            else _fallback_guid(link, title, published, text))
    docs = [
        _join(url, a["url"]) for a in _list(it.get("attachments"))
        if isinstance(a, dict) and _s(a.get("url")) and _is_pdf(a["url"], _s(a.get("mime_type")))
    ]
    hints = Hints(
        guid=guid, title=title, summary=_s(it.get("summary")),
        content_html=_s(it.get("content_html")) or (
            f"<p>{html.escape(it['content_text'])}</p>" if _s(it.get("content_text")) else None),
        published=published, updated=updated, authors=authors,
        language=_lang(_s(it.get("language"))) or feed_lang,
        categories=[t for t in _list(it.get("tags")) if isinstance(t, str)],
    )
    return FeedEntry(guid=guid, link=link, hints=hints, documents=docs)
