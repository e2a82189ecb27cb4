"""Where a page sits and how it is laid out: breadcrumbs, headings, lead, event markup.

The classifier's best evidence on real sites is what the publisher says about the page's place:
the breadcrumb trail ("Home › Kunskapsbank › Goda exempel › …"), the section headings, the
lead paragraph, and whether the page is marked up as an event. Read here from the page's tree:

* breadcrumbs, first found wins: a schema.org ``BreadcrumbList`` in JSON-LD (its items in
  ``position`` order), ``<nav aria-label="Breadcrumb">`` (any case), an element whose class or
  id has a ``breadcrumb`` word (``breadcrumb``, ``breadcrumbs``, ``breadcrumb-trail``), or
  microdata ``itemtype=…/BreadcrumbList``. The trail's items are the texts of its links and
  list items, or the text split at its separators (›, », >, /, |, →). The home crumb (a link
  to ``/`` or a first crumb named Home/Start/…) and the last crumb when it is the page itself
  (its title) are dropped: what is left is the page's section path.
* headings: the ``<h1>`` and ``<h2>``s of the article (``<article>``/``<main>``), at most 12.
* lead: the article's lead paragraph (``.lead``, ``.intro``, ``.standfirst``, ``.summary``,
  ``.chapeau``, ``.teaser`` inside the article), when it has one.
* event: a start date in event markup — JSON-LD ``Event`` ``startDate``, microdata
  ``itemprop=startDate``, microformats ``dt-start`` / ``dtstart`` — and any microdata
  ``itemtype`` of the page (``…/Event``), which are schema.org types like JSON-LD's.
"""

from __future__ import annotations

import re

from .jsonld import types_of
from .record import Markup
from .text import clean, same

__all__ = ["breadcrumbs", "event_start", "headings", "lead_paragraph", "microdata_types"]

MAX_CRUMBS = 8
MAX_HEADINGS = 12
_SEP_RE = re.compile(r"\s*(?:›|»|>|→|/|\||::|·)\s*")
_CRUMB_CLASS = ("contains(translate(concat(' ', @class, ' ', @id, ' '), "
                "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), 'breadcrumb')")
_HOME_WORDS = {
    "home", "homepage", "start", "startseite", "startsida", "etusivu", "accueil", "inicio",
    "início", "home page", "pagina iniziale", "hlavní strona", "úvod", "strona główna",
    "pradžia", "pagrindinis", "forside", "hjem", "etusivulle", "titelseite",
}
_LEAD_CLASSES = ("lead", "intro", "standfirst", "summary", "chapeau", "teaser", "introduction",
                 "article-lead", "lede")
_MAIN_XPATHS = ("//article", "//main", "//*[@role='main']")


def _crumbs_from_jsonld(nodes: list[dict]) -> list[str]:
    for node in nodes:
        if not any(t.rsplit("/", 1)[-1].casefold() == "breadcrumblist" for t in types_of(node)):
            continue
        items = node.get("itemListElement")
        items = items if isinstance(items, list) else [items]
        named: list[tuple[float, str, str]] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            thing = item.get("item")
            name = item.get("name")
            url = ""
            if isinstance(thing, dict):
                name = name or thing.get("name")
                url = str(thing.get("@id") or thing.get("url") or "")
            elif isinstance(thing, str):
                url = thing
            try:
                pos = float(item.get("position", i))
            except (TypeError, ValueError):
                pos = float(i)
            name = clean(name)
            if name:
                named.append((pos, name, url))
        if named:
            named.sort(key=lambda x: x[0])
            out = [n for _, n, _ in named]
            first_url = named[0][2]
            if first_url and re.fullmatch(r"(?:https?://[^/]+)?/?", first_url):
                out[0] = "\x00home"
            return out
    return []


_ANY = Markup()


def _trail_element(tree, markup: Markup = _ANY):
    if not markup.has("breadcrumb"):  # each search below needs the word in the page
        return None
    for xp in (
        "//nav[contains(translate(@aria-label, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        "'abcdefghijklmnopqrstuvwxyz'), 'breadcrumb')]",
        "//*[contains(@itemtype, 'BreadcrumbList')]",
        f"//*[self::nav or self::div or self::ol or self::ul or self::p or self::section or "
        f"self::span][{_CRUMB_CLASS}]",
    ):
        found = tree.xpath(xp)
        if found:
            return found[0]
    return None


def _is_home(a) -> bool:
    return (a.get("href") or "").strip() in ("/", "./", "index.html", "#")


def _crumbs_from_html(tree, markup: Markup = _ANY) -> list[str]:
    el = _trail_element(tree, markup)
    if el is None:
        return []
    items = [li for li in el.xpath(".//li") if not li.xpath(".//li")]
    if items:  # a list of crumbs: each item's text
        out = []
        for li in items:
            text = clean(li.text_content())
            link = next(iter(li.iter("a")), None)
            if text:
                out.append("\x00home" if link is not None and _is_home(link) else text)
        return out
    # crumbs as links and text between separators: split the trail's text
    out = [p for p in (x.strip() for x in _SEP_RE.split(clean(el.text_content()) or "")) if p]
    links = el.xpath(".//a")
    if out and links and _is_home(links[0]) and same(clean(links[0].text_content()), out[0]):
        out[0] = "\x00home"
    return out


def breadcrumbs(tree, nodes: list[dict], title: str | None = None, markup: Markup = _ANY
                ) -> list[str]:
    """The page's section path from its breadcrumb trail (home and the page itself left out)."""
    crumbs = _crumbs_from_jsonld(nodes) or _crumbs_from_html(tree, markup)
    out: list[str] = []
    for i, c in enumerate(crumbs):
        if c == "\x00home" or (i == 0 and c.casefold() in _HOME_WORDS):
            continue
        if len(c) > 120:
            continue  # not a label: a trail gone wrong
        if not out or not same(c, out[-1]):
            out.append(c)
    if out and title and (same(out[-1], title) or title.casefold().startswith(out[-1].casefold().rstrip("…. "))
                          and len(out[-1]) > 25):
        out.pop()  # the page itself
    return out[:MAX_CRUMBS]


def _main(tree):
    for xp in _MAIN_XPATHS:
        found = tree.xpath(xp)
        if found:
            return found[0]
    return tree


def headings(tree) -> list[str]:
    """The article's ``<h1>`` and ``<h2>`` texts, in page order (at most 12)."""
    out: list[str] = []
    for el in _main(tree).iter("h1", "h2"):
        text = clean(el.text_content())
        if text and len(text) <= 200 and text not in out:
            out.append(text)
        if len(out) >= MAX_HEADINGS:
            break
    return out


def lead_paragraph(tree, markup: Markup = _ANY) -> str | None:
    """The article's lead paragraph when it is marked as such."""
    classes = [cls for cls in _LEAD_CLASSES if markup.has(cls)]
    if not classes:
        return None
    main = _main(tree)
    for cls in classes:
        found = main.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")
        for el in found:
            text = clean(el.text_content())
            if text and len(text) >= 20:
                return text[:600]
    return None


def event_start(tree, nodes: list[dict], markup: Markup = _ANY) -> str | None:
    """The start date of an event the page is marked up as (JSON-LD, microdata, microformats)."""
    for node in nodes:
        if any("event" in t.rsplit("/", 1)[-1].casefold() for t in types_of(node)):
            start = clean(node.get("startDate"))
            if start:
                return start
    if not markup.has("startdate", "dt-start", "dtstart"):
        return None
    for el in tree.xpath("//*[@itemprop='startDate'] | //*[contains(concat(' ', @class, ' '), "
                         "' dt-start ')] | //*[contains(concat(' ', @class, ' '), ' dtstart ')]"):
        value = clean(el.get("datetime") or el.get("content") or el.get("title")
                      or el.text_content())
        if value:
            return value
    return None


def microdata_types(tree, markup: Markup = _ANY) -> list[str]:
    """schema.org types of the page's top-level microdata items."""
    out: list[str] = []
    if not markup.has("itemscope"):
        return out
    for el in tree.xpath("//*[@itemscope][@itemtype][not(ancestor::*[@itemscope])]")[:10]:
        for t in (el.get("itemtype") or "").split():
            name = t.rstrip("/").rsplit("/", 1)[-1]
            if name and name.casefold() != "breadcrumblist" and name not in out:
                out.append(name)
    return out
