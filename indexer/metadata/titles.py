"""The page's title: the article's <h1>, the site's names, the title chosen."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.etree as etree

from .jsonld import names_in, types_of
from .record import Markup, PageMetadata
from .text import clean, is_site_name, share_words, strip_site_name


MAIN_XPATHS = ("//article", "//main", "//*[@role='main']")


def article_h1(tree):
    """``(h1 element, inside article/main)``: the first ``<h1>`` of the article or main part,
    else the page's first ``<h1>``."""
    for xp in MAIN_XPATHS:
        for container in tree.xpath(xp):
            h1 = container.find(".//h1")
            if h1 is not None and clean(h1.text_content()):
                return h1, True
    for h1 in tree.iter("h1"):
        if clean(h1.text_content()):
            return h1, False
    return None, False


def website_names(nodes: list[dict], ids: dict[str, dict]) -> list[str]:
    out = []
    for node in nodes:
        types = {t.lower().rsplit("/", 1)[-1] for t in types_of(node)}
        if types & {"website", "organization", "governmentorganization"}:
            out += names_in(node, ids)
        elif "publisher" in node:
            out += names_in(node.get("publisher"), ids)
    return out


_LOGO_RE = re.compile(r"(?:^|[\s_-])(?:logo|brand|site-?(?:title|name)|navbar-brand)(?:$|[\s_-])", re.I)
# the page's first 200 links whose href is one of $homes ("|/|./|…|"): when the page has no
# logo or brand class at all, lxml picks the home links out, not a Python loop over every link
_HOME_HREFS = etree.XPath("(//a[@href])[position() <= 200]"
                          "[contains($homes, concat('|', normalize-space(@href), '|'))]")
_LOGO_MARKUP = ("logo", "brand", "sitetitle", "site-title", "sitename", "site-name")


def home_link_texts(tree, url: str | None, markup: Markup | None = None) -> list[str]:
    """Texts of the page's links to its home page and of its logo (the site's name, as shown).

    ``markup``: the page's source (see :class:`.record.Markup`), to skip looking at every link's
    class when no class can name a logo."""
    homes = {"/", "./", "index.html"}
    if url:
        home = urljoin(url, "/")
        homes |= {home, home.rstrip("/")}
    if markup is not None and not markup.has(*_LOGO_MARKUP) and not any("|" in h for h in homes):
        links = _HOME_HREFS(tree, homes="|" + "|".join(homes) + "|")
    else:
        links = tree.xpath("//a[@href]")[:200]
    out: list[str] = []
    for a in links:
        href = (a.get("href") or "").strip()
        cls = a.get("class") or ""
        if href not in homes and not _LOGO_RE.search(cls):
            continue
        text = clean(a.text_content())
        if not text:
            alts = [img.get("alt") for img in a.iter("img") if img.get("alt")]
            text = clean(alts[0]) if alts else None
        if text and 3 <= len(text) <= 80:
            out.append(text)
    return out[:5]


def choose_title(md: PageMetadata, title_hint: str | None) -> None:
    """Set ``md.title``/``title_source``/``html_title_generic`` (see the module docstring)."""
    names = md.site_names
    for source, cand in (("meta", md.og_title), ("jsonld", md.headline)):
        refs = tuple(r for r in (md.og_title, md.headline, md.h1, title_hint) if r is not cand)
        t = strip_site_name(cand, names, refs)
        if t and not is_site_name(t, names):  # a bare site name is no title
            md.title, md.title_source = t, source
            break
    h1 = md.h1 if not is_site_name(md.h1, names) else None
    html = None
    if md.html_title:
        html = strip_site_name(md.html_title, names, (md.og_title, md.headline, h1, title_hint))
        if not html or is_site_name(html, names):
            md.html_title_generic = True
        elif h1 and md.h1_in_main and not share_words(html, h1):
            md.html_title_generic = True  # "Home", "News", a section name: the <h1> says more
    if md.title:
        return
    if html and not md.html_title_generic:
        md.title, md.title_source = html, "html"
    elif h1:
        md.title, md.title_source = h1, "h1"
