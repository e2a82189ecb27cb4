"""A search as an Atom 1.0 feed (RFC 4287), so a search can be followed in a feed reader.

Built with ElementTree, which escapes every text and attribute; characters XML 1.0 forbids
(control characters that harvested pages sometimes contain) are removed first, so the feed
stays well-formed whatever was harvested.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from flask_babel import ngettext

from .i18n import LOCALES, ui_language
from .present import safe_href, truncate

if TYPE_CHECKING:
    from .searching import SearchRun

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", ATOM_NS)


def xml_text(value: object) -> str:
    return _XML_INVALID.sub("", "" if value is None else str(value))


def _el(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html"}


def _media_type(hit: dict) -> str:
    """The media type of what a result links to (its format), HTML when unknown."""
    return MEDIA_TYPES.get((hit.get("format") or "html").lower(), "text/html")


def render_feed(
    run: "SearchRun",
    *,
    feed_size: int,
    portal_name: str,
    self_url: str,
    html_url: str,
    resource_url: Callable[[str], str],
) -> bytes:
    query = run.state.query
    hits = run.hits()[:feed_size]
    dates = [h["date"] for h in hits if h["date"]]
    updated = max(dates) if dates else _now()

    feed = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: LOCALES[ui_language()].replace("_", "-")})
    if query.text:
        title = _("%(portal)s: %(query)s", portal=portal_name, query=query.text)
    else:
        title = _("%(portal)s: newest resources", portal=portal_name)
    chosen = [f"{run.labels(f, v)}" for f, v in run.state.selected()]
    if chosen:
        title += f" ({', '.join(chosen)})"
    _el(feed, "title", title)
    total = run.results.total
    _el(feed, "subtitle", ngettext("%(num)s resource matches this search",
                                   "%(num)s resources match this search", total))
    _el(feed, "id", html_url)
    _el(feed, "updated", updated)
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=html_url)
    author = _el(feed, "author")
    _el(author, "name", portal_name)
    _el(feed, "generator", portal_name)

    for h in hits:
        entry = _el(feed, "entry")
        if h["language"]:
            entry.set(XML_LANG, xml_text(h["language"]))
        page = resource_url(h["id"])
        _el(entry, "id", page)
        _el(entry, "title", h["title"], type="text")
        _el(entry, "link", rel="alternate", type=_media_type(h) if h["href"] else "text/html",
            href=h["href"] or page)
        if h["href"]:
            _el(entry, "link", rel="related", type="text/html", href=page)
        _el(entry, "updated", h["date"] or updated)
        if h["published"]:
            _el(entry, "published", h["published"])
        if h["publisher"]:
            _el(_el(entry, "author"), "name", h["publisher"])
        for theme, label in zip(h["themes"], h["theme_labels"]):
            _el(entry, "category", term=theme, label=label)
        summary = h["summary"] or h["snippet"].striptags()
        if summary:
            _el(entry, "summary", truncate(summary, 600), type="text")
        for inst in h["instances"]:
            href = safe_href(inst.get("url"))
            if href and href != h["href"]:
                _el(entry, "link", rel="via", href=href)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
