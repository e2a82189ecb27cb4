"""Fetched bytes → the canonical :class:`~indexer.resource.Resource`.

:func:`normalise` takes one :class:`~indexer.resource.RawDocument` (an HTML page, a PDF, or a
feed entry whose content came in the feed) and the source it came from, and returns a complete
``Resource``: canonical URL and id, title, summary, main text, authors, dates, language, type,
themes, places, format, licence, content hash and one ``Instance``.

Precedence, most trusted first:

* URL: the page's ``<link rel=canonical>`` when it is on the same site (and does not collapse
  an article onto the home page), else the URL the bytes came from; always canonicalised.
* title: the source's ``selectors.title``; the page's metadata (OpenGraph / JSON-LD /
  ``<title>`` without the site name) or the PDF's own title; where the page's ``<title>`` is
  generic (the site's name, a section name) or missing, the article's ``<h1>`` or the feed
  entry's title (see :func:`_page_title`); the first line of the text. Never the bare site name
  when anything better exists.
* published: ``selectors.date``; the page's metadata or the PDF's dates; the feed entry's
  publication date; the date shown in the article's header (next to the title, never the whole
  text); last the feed's or sitemap's modification date (RSS 1.0 ``dc:date``, ``<lastmod>``).
  updated: the page's or PDF's, else the feed's or sitemap's, when later than published.
* summary: meta description / og:description / JSON-LD description / PDF subject; the feed's
  summary; the first sentences of the text. Plain text, at most 400 characters.
* body: ``selectors.body``; the extracted main text (or the PDF's text); the feed's content when
  the page was not fetched or yields next to nothing.
* language: detected from title + body; the page's, feed's and source's language break ties
  on short or ambiguous texts (see :mod:`indexer.language`).
* type and themes (:mod:`indexer.classify`): from the title, the body, the feed's and page's
  categories and tags, the URL, schema.org / og types, and what the page's layout says — its
  breadcrumb trail (the section it sits in), its headings, its lead (the marked lead paragraph,
  else the summary), event markup with a start date — and the format (a PDF).

Anything that makes a document unusable raises :class:`NormaliseError` with a message an
operator can act on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from .classify import classify
from .dates import find_date, parse_date
from .extract import (
    SelectorError,
    decode_html,
    extract_main_text,
    html_to_text,
    parse_html,
    select_texts,
)
from .facts import stated_type, structured_facts
from .language import detect_language
from .metadata import PageMetadata, clean_author, extract_metadata, is_site_name, share_words
from .metadata.jsonld import json_ld_nodes
from .pdf import PdfError, extract_pdf, is_pdf
from .resource import Hints, Instance, RawDocument, Resource, as_utc, resource_id_for
from .urls import canonicalize_url, is_web_url, same_site

__all__ = ["MAX_SUMMARY", "NO_TEXT_LAYER", "NormaliseError", "content_hash", "make_summary",
           "normalise"]

# the flag of a PDF with no text to extract (a scan without OCR): stored with its metadata
NO_TEXT_LAYER = "no-text-layer"

MAX_SUMMARY = 400
MAX_TITLE = 500
# A page whose extracted text is shorter than this loses to the feed's full content.
_THIN_PAGE = 200

_HTML_TYPES = {"text/html", "application/xhtml+xml", "application/html", "text/xhtml"}
_PDF_TYPES = {"application/pdf", "application/x-pdf", "application/acrobat", "applications/vnd.pdf", "text/pdf"}
_SNIFF_TYPES = {"", "application/octet-stream", "binary/octet-stream", "text/plain", "application/xml", "text/xml", "application/download", "application/force-download"}
_HTML_SNIFF_RE = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<!--|<div|<p[\s>]|<article)", re.I)

_WS_RE = re.compile(r"\s+")
_NON_WORD_RE = re.compile(r"[\W_]+")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[\"'“‘(\[]?[A-ZÀ-ÖØ-ÞĀ-ſ0-9])")


class NormaliseError(Exception):
    """The document cannot become a Resource; the message says why."""


# -- small helpers -----------------------------------------------------------------------------------
def content_hash(text: str) -> str:
    """sha256 of the text's words: NFKC, case-folded, punctuation and spacing ignored.

    The same article under different page chrome, with typographic or straight quotes,
    different line breaks or a non-breaking space, hashes the same.
    """
    t = unicodedata.normalize("NFKC", text or "").casefold()
    t = " ".join(_NON_WORD_RE.sub(" ", t).split())
    return hashlib.sha256(t.encode("utf-8")).hexdigest()


def _hash(body: str, raw_body: bytes, signature: str = "") -> str:
    """The hash of the text (of the bytes when there is no text), with ``signature`` (the
    structured facts, :meth:`indexer.facts.Facts.signature`) when it is given."""
    if not body:
        return hashlib.sha256(raw_body).hexdigest()
    return content_hash(f"{body}\n\x00{signature}" if signature else body)


def _plain(html_or_text: str | None) -> str:
    """Plain text of a feed field that may hold HTML."""
    if not html_or_text:
        return ""
    if "<" in html_or_text and ">" in html_or_text:
        tree = parse_html(html_or_text)
        if tree is not None:
            body = tree.find("body")
            return html_to_text(body if body is not None else tree)
    return html_or_text.strip()


def _one_line(s: str | None, limit: int = MAX_TITLE) -> str:
    s = _WS_RE.sub(" ", s or "").strip()
    if len(s) > limit:
        s = s[:limit].rsplit(" ", 1)[0] + "…"
    return s


def make_summary(text: str, limit: int = MAX_SUMMARY) -> str:
    """Plain one-paragraph summary of at most ``limit`` characters, cut at a sentence or word."""
    text = _WS_RE.sub(" ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    sentences = _SENTENCE_END_RE.split(cut)
    if len(sentences) > 1:
        joined = " ".join(sentences[:-1]).strip()
        if len(joined) >= limit // 3:
            return joined
    return cut.rsplit(" ", 1)[0].rstrip(" ,;:-–—") + "…"


def _lead(body: str, limit: int = MAX_SUMMARY) -> str:
    """The first sentences of the body (skipping headline-like first lines) as a summary."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    picked: list[str] = []
    for p in paragraphs:
        p = p.strip()
        if not picked and len(p) < 60 and len(paragraphs) > 1 and not p.endswith((".", "!", "?")):
            continue  # a heading or a date line
        picked.append(p)
        if sum(len(x) for x in picked) >= limit:
            break
    return make_summary(" ".join(picked) or body, limit)


def _canonical(raw: RawDocument, declared: str | None) -> str:
    fetched = canonicalize_url(raw.final_url or raw.url)
    if not is_web_url(fetched):
        raise NormaliseError(f"the document has no usable URL: {raw.final_url or raw.url!r}")
    if declared:
        cand = canonicalize_url(declared, base=fetched)
        if is_web_url(cand) and same_site(cand, fetched):
            home = urlsplit(cand).path in ("", "/") and urlsplit(fetched).path not in ("", "/")
            if not home:
                return cand
    return fetched


def _page_title(md: PageMetadata, feed_title: str | None) -> str:
    """The page's title, or the feed entry's where the page's own is weak.

    OpenGraph / Dublin Core / JSON-LD titles and a ``<title>`` that agrees with the article's
    ``<h1>`` are the page's word. Otherwise (a generic or missing ``<title>``) the article's
    ``<h1>`` is the title when it is inside ``<article>``/``<main>`` or agrees with the feed
    entry's title; else the feed entry's title. Never a bare site name when there is anything
    better.
    """
    feed_title = _one_line(feed_title) or None
    if feed_title and is_site_name(feed_title, md.site_names):
        feed_title = None
    if md.title and md.title_source in ("meta", "jsonld"):
        return md.title
    if md.title and md.title_source == "html":
        if feed_title and not share_words(md.title, feed_title) and not share_words(md.title, md.h1):
            return feed_title  # a section name or a stale template title
        return md.title
    if md.title and md.title_source == "h1":
        if md.h1_in_main or not feed_title or share_words(md.title, feed_title):
            return md.title
    if feed_title:
        return feed_title
    if md.title:
        return md.title
    if md.html_title and not is_site_name(md.html_title, md.site_names):
        return md.html_title
    return ""


def _title_from_url(url: str) -> str:
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    last = re.sub(r"\.[A-Za-z0-9]{2,5}$", "", last)
    return _one_line(re.sub(r"[-_+]+", " ", last)) or url


def _scan_summary(summary: str, url: str, authors: list[str], keywords: list[str]) -> str:
    """The summary of a PDF without a text layer: what it says of itself, and its details
    (file name, authors, keywords), which are all a search can find it by."""
    details = [f"file {unquote(urlsplit(url).path.rsplit('/', 1)[-1])}"]
    if authors:
        details.append("by " + ", ".join(authors))
    if keywords:
        details.append("keywords: " + ", ".join(keywords))
    note = f"A scanned PDF without a text layer ({'; '.join(details)})."
    return make_summary(f"{summary} {note}".strip(), MAX_SUMMARY)


def _kind(raw: RawDocument) -> str:
    ctype = raw.content_type.split(";", 1)[0].strip().lower()
    body = raw.body
    if not body:
        return "feed"
    if ctype in _PDF_TYPES or is_pdf(body):
        return "pdf"
    if ctype in _HTML_TYPES:
        return "html"
    if ctype in _SNIFF_TYPES or ctype.endswith("+xml"):
        head = body[:2048].lstrip(b"\xef\xbb\xbf")
        if _HTML_SNIFF_RE.match(head) or re.search(rb"<html[\s>]", head, re.I):
            return "html"
    raise NormaliseError(f"unsupported content type {ctype or '(none)'}")


# -- the normaliser ----------------------------------------------------------------------------------
def normalise(raw: RawDocument, source, *, taxonomy=None) -> Resource:
    """The canonical Resource for one fetched document of ``source`` (a ``config.models.SourceBase``).

    ``taxonomy`` is a ``config.taxonomy.Taxonomy`` (default: ``config/taxonomy.yaml``).
    Raises :class:`NormaliseError`.
    """
    if raw.status and raw.status >= 400:
        raise NormaliseError(f"HTTP status {raw.status}: not a document")
    hints: Hints = raw.hints or Hints()
    kind = _kind(raw)
    if kind == "feed" and not (hints.content_html or hints.summary):
        raise NormaliseError("no text could be extracted: empty response body and no feed content")

    md = PageMetadata()
    shown_date = None
    title = summary = body = ""
    authors: list[str] = []
    published = updated = None
    categories: list[str] = list(hints.categories or [])
    doc_lang: str | None = None
    licence: str | None = None
    declared_url: str | None = None
    fmt = "html"
    flags: list[str] = []
    jsonld: list[dict] = []
    feed_text = _plain(hints.content_html) if hints.content_html else ""

    if kind == "pdf":
        fmt = "pdf"
        try:
            pdf = extract_pdf(raw.body)
        except PdfError as exc:
            raise NormaliseError(f"PDF cannot be read: {exc}") from None
        body = pdf.text
        if not body.strip():
            flags.append(NO_TEXT_LAYER)  # kept, findable by its title and metadata
        title = pdf.title or ""
        published, updated = pdf.created, pdf.modified
        if updated and published and updated <= published:
            updated = None
        authors = [a for a in (clean_author(x) for x in re.split(r"\s*;\s*", pdf.author or "")) if a]
        if pdf.subject and len(pdf.subject) >= 30:
            summary = pdf.subject
        categories += pdf.keywords
        fallback_title = pdf.first_line
    elif kind == "html":
        text, _encoding = decode_html(raw.body, raw.content_type)
        tree = parse_html(text)
        if tree is None:
            raise NormaliseError("no text could be extracted: the HTML page is empty")
        page_url = raw.final_url or raw.url
        site_names = [getattr(source, "publisher", None), getattr(source, "name", None)]
        md = extract_metadata(tree, page_url, site_names=[n for n in site_names if n],
                              title_hint=hints.title, language=getattr(source, "language", None),
                              html=text)
        jsonld = json_ld_nodes(tree)  # schema.org data: an event's dates, a call's deadline
        selectors = getattr(source, "selectors", None)
        try:
            if selectors is not None and selectors.body:
                body = "\n\n".join(select_texts(tree, selectors.body))
            if not body:
                body = extract_main_text(text, page_url, tree=tree)
            if selectors is not None and selectors.title:
                title = _one_line(" ".join(select_texts(tree, selectors.title)[:1]))
            if selectors is not None and selectors.date:
                for value in select_texts(tree, selectors.date, attributes=("datetime", "content")):
                    published = parse_date(value, source.language) or find_date(value, source.language)
                    if published:
                        break
            if selectors is not None and selectors.author:
                authors = [a for a in (clean_author(x) for x in select_texts(tree, selectors.author)) if a]
        except SelectorError as exc:
            raise NormaliseError(f"source {source.id}: {exc}") from None
        if feed_text and len(body) < _THIN_PAGE and len(feed_text) > len(body):
            body = feed_text  # a script-rendered page: the feed carried the article
        title = title or _page_title(md, hints.title)
        published = published or md.published
        shown_date = md.shown_date
        updated = md.updated
        authors = authors or md.authors
        summary = md.description or ""
        categories += md.keywords
        doc_lang = md.language
        licence = md.licence
        declared_url = md.canonical_url
        fallback_title = None
    else:  # feed content only
        body = feed_text or _plain(hints.summary)
        fallback_title = None

    body = body.strip()
    if not body and not flags:
        raise NormaliseError("no text could be extracted")

    url = _canonical(raw, declared_url)
    title = _one_line(title) or _one_line(hints.title) or _one_line(fallback_title) or ""
    first = next((p for p in body.split("\n\n") if p.strip()), "")
    first_title = _one_line(first, 200) if len(first) <= 200 else ""
    if not title:
        title = first_title or _title_from_url(url)
    site_names = md.site_names or [n for n in (getattr(source, "publisher", None), getattr(source, "name", None)) if n]
    if is_site_name(title, site_names):  # a bare site name is no title when there is better
        better = (_one_line(hints.title), _one_line(fallback_title), first_title)
        title = next((t for t in better if t and not is_site_name(t, site_names)), title)
    # the page's metadata, the feed's publication date, the date shown in the article's header,
    # and last the feed's/sitemap's modification date (RSS 1.0 dc:date, <lastmod>)
    published = as_utc(published) or as_utc(hints.published) or as_utc(shown_date) or as_utc(hints.updated)
    updated = as_utc(updated) or as_utc(hints.updated)
    if updated and published and updated <= published:
        updated = None
    if not authors:
        authors = [a for a in (clean_author(x) for x in hints.authors or []) if a]
    summary = make_summary(_plain(summary)) or make_summary(_plain(hints.summary)) or _lead(body)
    if NO_TEXT_LAYER in flags:
        summary = _scan_summary(summary, url, authors, categories)
    language = detect_language(f"{title}\n{body}", doc_lang, hints.language, getattr(source, "language", None))
    result = classify(
        title=title,
        body=body,
        categories=categories,
        url=url,
        schema_types=md.schema_types,
        format=fmt,
        language=language,
        breadcrumbs=md.breadcrumbs,
        headings=[h for h in md.headings if h != title],
        lead=md.lead or md.description or _plain(hints.summary) or None,
        event_start=md.event_start,
        taxonomy=taxonomy,
    )
    rtype = stated_type(hints, result.type)
    facts = structured_facts(title, body, language, source=source, hints=hints,
                             resource_type=rtype, published=published, jsonld=jsonld,
                             page_event_start=md.event_start)
    fetched_at = as_utc(raw.fetched_at)
    return Resource(
        id=resource_id_for(url),
        title=title,
        url=url,
        summary=summary,
        body=body,
        instances=[
            Instance(
                source_id=source.id,
                url=url,
                first_seen=fetched_at,
                last_seen=fetched_at,
                guid=hints.guid,
            )
        ],
        publisher=hints.publisher or getattr(source, "publisher", None) or md.publisher,
        authors=authors,
        published=published,
        updated=updated,
        language=language,
        type=rtype,
        themes=result.themes,
        places=facts.places,
        format=fmt,
        licence=hints.licence or licence,
        content_hash=_hash(body, raw.body),
        served_hash=_hash(body, raw.body, facts.signature()),
        deadline=facts.deadline,
        event_start=facts.event_start,
        event_end=facts.event_end,
        harvested_at=fetched_at,
        flags=flags,
        alternates=[{"language": lang, "url": canonicalize_url(href)}
                    for lang, href in md.alternates if lang != language or href != url],
    )
