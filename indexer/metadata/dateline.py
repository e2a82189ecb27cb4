"""The date shown in the article's header (a byline or dateline), read from the header only."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import islice

import lxml.etree as etree

from ..dates import DATE_SEARCH_RE as _DATE_SEARCH_RE, parse_date
from .text import WS_RE, clean
from .titles import MAIN_XPATHS

_DATE_CLASS_RE = re.compile(r"date|time|posted|publi|byline|dateline|meta|info|datum|fecha|data", re.I)
_UPDATED_CLASS_RE = re.compile(r"updat|modif|revis|bijgewerkt|aktualis|aggiorn|actualiz|atualiz|atnaujin|oppdat", re.I)
# the container and its elements that have a class (other than <time>), in document order
_CLASSED = etree.XPath("descendant-or-self::*[@class][not(self::time)]")
_HEADER_TEXT_MAX = 300
_NOT_DATELINE_TAGS = {"figure", "figcaption", "picture", "aside", "nav", "blockquote", "table"}
_NOT_DATELINE_CLASS_RE = re.compile(
    r"caption|credit|related|teaser|comment|share|social|image|img|photo|media|video|gallery", re.I
)
_SKIPPED_PART_CLASS_RE = re.compile(r"caption|credit|related|teaser|comment", re.I)
# "Updated 3 May 2025": a label just before a date makes it a modification date
_UPDATED_LABEL_RE = re.compile(
    r"(?:updated|modified|revised|last changed|bijgewerkt|gewijzigd|aktualisiert|geändert|"
    r"mis à jour|modifié|aggiornat[oa]|modificat[oa]|actualizad[oa]|atualizad[oa]|atnaujinta|"
    r"oppdatert|endret|zaktualizowan[oy]|aktualizacja)\W*(?:on|le|am|il|el|em|op|den)?\W*$",
    re.I,
)


def _is_updated_marker(el) -> bool:
    for attr in ("class", "itemprop", "id"):
        if _UPDATED_CLASS_RE.search(el.get(attr) or ""):
            return True
    return False


def _not_dateline(el) -> bool:
    """A caption, a related-articles box, a quote: dates there are about something else."""
    for depth, node in enumerate((el, *el.iterancestors())):
        if node.tag in ("article", "main", "body", "header") or depth > 2:
            break
        if node.tag in _NOT_DATELINE_TAGS or _NOT_DATELINE_CLASS_RE.search(node.get("class") or ""):
            return True
    return False


def _labelled_updated(el) -> bool:
    """The text just before ``el`` ("Updated <time>…</time>") labels it as an update date."""
    prev = el.getprevious()
    if prev is not None:
        before = (prev.text_content() or "") + (prev.tail or "")
    else:
        parent = el.getparent()
        before = (parent.text or "") if parent is not None else ""
    return bool(_UPDATED_LABEL_RE.search(before[-40:]))


def _publication_date_in(text: str, language: str | None) -> datetime | None:
    """The first date in ``text`` that is not labelled as an update."""
    for m in _DATE_SEARCH_RE.finditer(text):
        if _UPDATED_LABEL_RE.search(text[max(0, m.start() - 40):m.start()]):
            continue
        dt = parse_date(m.group(0), language)
        if dt:
            return dt
    return None


def _own_text(el) -> str:
    """Text of ``el`` without the parts marked as an update date, captions, quotes and boxes."""
    parts: list[str] = []

    def walk(node):
        if not isinstance(node.tag, str) or (node is not el and (
                _is_updated_marker(node) or node.tag in _NOT_DATELINE_TAGS
                or _SKIPPED_PART_CLASS_RE.search(node.get("class") or ""))):
            if node.tail:
                parts.append(node.tail)
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node is not el and node.tail:
            parts.append(node.tail)

    walk(el)
    return WS_RE.sub(" ", " ".join(parts)).strip()


def shown_date(tree, h1, language: str | None) -> datetime | None:
    """The date printed near the article's title (see the module docstring), or None."""
    regions = []
    if h1 is not None:
        header = next((a for a in h1.iterancestors() if a.tag == "header"), None)
        if header is not None:
            regions.append(header)  # the article's header (title, dateline, byline)
        # the title's neighbours: a dateline just before or after it
        parent = h1.getparent()
        if parent is not None:
            siblings = list(parent)
            i = siblings.index(h1)
            regions += siblings[max(0, i - 1):i] + siblings[i + 1:i + 4]
    for xp in MAIN_XPATHS:
        for container in tree.xpath(xp)[:1]:
            regions += list(islice((el for el in _CLASSED(container)
                                    if _DATE_CLASS_RE.search(el.get("class"))), 6))
            regions += [el for el in container.iter("time")][:3]
    seen = set()
    for region in regions:
        if (id(region) in seen or region is h1 or _is_updated_marker(region) or _not_dateline(region)
                or _labelled_updated(region)):
            continue
        seen.add(id(region))
        text = _own_text(region)
        if h1 is not None and region is not h1 and h1 in region.iterdescendants():
            text = text.replace(clean(h1.text_content()) or "", " ")
        if not text or len(text) > _HEADER_TEXT_MAX:
            continue
        dt = _publication_date_in(text, language)
        if dt:
            return dt
    return None
