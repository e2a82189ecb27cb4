"""The fixture sites: who they are, where things live, and the documents each one serves.

Every site is described by a :class:`SiteSpec` (publisher, country, language, URL layout,
feed format) and rendered from its content into a map of path → :class:`Document`: home page,
listing page(s), article pages, PDFs, feed, sitemaps, robots.txt, a ``/private/`` page that
robots.txt disallows but a listing page links to, and a few static pages.

Article URLs per site: HTML at ``<section><slug>``, PDFs at ``<docs><slug>.pdf``; on ``euhub``
a PDF whose metadata is ``full`` or ``jsonld`` also gets an HTML landing page
``/publications/<slug>`` and its feed item links there with the PDF as ``<enclosure>``, while
a PDF with metadata ``none`` is linked directly from its feed item.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Callable
from xml.sax.saxutils import escape as xml_escape, quoteattr

from .content_loader import Article, SiteContent
from .pdf import make_pdf

__all__ = ["Document", "SiteSpec", "SPECS", "FIXED_DATE", "build_site", "article_path"]

# Last-Modified of pages that have no date of their own.
FIXED_DATE = datetime(2025, 1, 6, 8, 0, 0, tzinfo=timezone.utc)

UrlOf = Callable[[str, str], str]  # (site, path) -> absolute URL


@dataclass
class Document:
    """Bytes served at one path, with the validators used for conditional requests."""

    body: bytes
    content_type: str
    last_modified: datetime
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Content-Encoding
    gzip_ok: bool = False  # may be gzip-encoded when the client accepts it
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.last_modified = self.last_modified.astimezone(timezone.utc).replace(microsecond=0)
        if not self.etag:
            self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    @property
    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


@dataclass(frozen=True)
class SiteSpec:
    name: str
    title: str
    publisher: str
    country: str
    city: str | None
    language: str
    section: str  # prefix of article pages and path of the listing page, e.g. "/nieuws/"
    docs: str  # prefix of PDFs
    feed_path: str | None = None
    feed_format: str | None = None  # rss2 | atom | rdf | jsonfeed
    charset: str = "utf-8"  # encoding of HTML pages and feed
    gzip_html: bool = False
    paginate: bool = False  # listing split into three pages: <section>, ?page=2, ?page=3
    feed_tracking: str = ""  # query appended to feed item links
    private_slug: str = "internal-draft"

    @property
    def private_path(self) -> str:
        return f"/private{self.section}{self.private_slug}"


SPECS: dict[str, SiteSpec] = {
    spec.name: spec
    for spec in (
        SiteSpec(
            name="euhub", title="Circular Knowledge Hub", publisher="Circular Knowledge Hub",
            country="EU", city=None, language="en", section="/articles/", docs="/files/",
            feed_path="/feed.xml", feed_format="rss2", gzip_html=True,
            feed_tracking="utm_source=rss&utm_medium=feed", private_slug="board-minutes-draft",
        ),
        SiteSpec(
            name="urbact", title="URBACT-like Network for Circular Cities",
            publisher="URBACT-like Network", country="EU", city=None, language="en",
            section="/good-practices/", docs="/library/", feed_path="/news/atom.xml",
            feed_format="atom", gzip_html=True, private_slug="partner-review",
        ),
        SiteSpec(
            name="denhaag", title="Gemeente Den Haag", publisher="Gemeente Den Haag",
            country="NL", city="Den Haag", language="nl", section="/nieuws/",
            docs="/documenten/", gzip_html=True, paginate=True,
            private_slug="concept-begroting-2026",
        ),
        SiteSpec(
            name="porto", title="Câmara Municipal do Porto", publisher="Câmara Municipal do Porto",
            country="PT", city="Porto", language="pt", section="/noticias/",
            docs="/documentos/", private_slug="rascunho-interno",
        ),
        SiteSpec(
            name="prato", title="Comune di Prato", publisher="Comune di Prato", country="IT",
            city="Prato", language="it", section="/notizie/", docs="/documenti/",
            feed_path="/rss.rdf", feed_format="rdf", private_slug="bozza-interna",
        ),
        SiteSpec(
            name="kaunas", title="Kauno miesto savivaldybė",
            publisher="Kauno miesto savivaldybė", country="LT", city="Kaunas", language="lt",
            section="/naujienos/", docs="/dokumentai/", feed_path="/feed.json",
            feed_format="jsonfeed", private_slug="vidinis-juodrastis",
        ),
        SiteSpec(
            name="oslo", title="Oslo kommune", publisher="Oslo kommune", country="NO",
            city="Oslo", language="no", section="/nyheter/", docs="/dokumenter/",
            feed_path="/rss.xml", feed_format="rss2", charset="windows-1252",
            private_slug="internt-utkast",
        ),
    )
}

FEED_TYPES = {
    "rss2": "application/rss+xml",
    "atom": "application/atom+xml",
    "rdf": "application/rss+xml",
    "jsonfeed": "application/feed+json",
}

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home", "news": "News", "about": "About us", "privacy": "Privacy",
        "contact": "Contact", "feed": "RSS feed", "related": "Related",
        "cookie": "We use cookies to improve your experience and to measure visits.",
        "accept": "Accept all cookies", "by": "By", "updated": "Updated",
        "download": "Download the PDF", "page": "Page", "next": "Next", "prev": "Previous",
        "newsletter": "Subscribe to our newsletter and never miss an update.",
        "subscribe": "Subscribe", "featured": "Featured", "tags": "Topics",
        "intro": "News, publications and good practices on the circular economy.",
        "private": "Draft: internal notes (not for publication)",
        "private_text": "This page is an internal draft and must not be indexed.",
        "not_found": "Page not found", "not_found_text": "The page you asked for does not exist.",
        "republished": "First published by", "about_text": "Who we are and what we do.",
        "privacy_text": "How we handle personal data.", "skip": "Skip to content",
    },
    "nl": {
        "home": "Home", "news": "Nieuws", "about": "Over ons", "privacy": "Privacy",
        "contact": "Contact", "feed": "RSS-feed", "related": "Gerelateerd",
        "cookie": "Wij gebruiken cookies om de website te verbeteren en bezoek te meten.",
        "accept": "Alle cookies accepteren", "by": "Door", "updated": "Bijgewerkt",
        "download": "Download de pdf", "page": "Pagina", "next": "Volgende", "prev": "Vorige",
        "newsletter": "Abonneer u op onze nieuwsbrief.", "subscribe": "Aanmelden",
        "featured": "Uitgelicht", "tags": "Onderwerpen",
        "intro": "Nieuws en publicaties van de gemeente over de circulaire economie.",
        "private": "Concept: interne notitie (niet publiceren)",
        "private_text": "Deze pagina is een intern concept en mag niet worden geïndexeerd.",
        "not_found": "Pagina niet gevonden", "not_found_text": "Deze pagina bestaat niet.",
        "republished": "Eerder gepubliceerd door", "about_text": "Over de gemeente.",
        "privacy_text": "Hoe wij met persoonsgegevens omgaan.", "skip": "Naar de inhoud",
    },
    "pt": {
        "home": "Início", "news": "Notícias", "about": "Sobre nós", "privacy": "Privacidade",
        "contact": "Contactos", "feed": "Feed RSS", "related": "Relacionados",
        "cookie": "Utilizamos cookies para melhorar a sua experiência e medir visitas.",
        "accept": "Aceitar todos os cookies", "by": "Por", "updated": "Atualizado",
        "download": "Descarregar o PDF", "page": "Página", "next": "Seguinte",
        "prev": "Anterior", "newsletter": "Subscreva a nossa newsletter.",
        "subscribe": "Subscrever", "featured": "Destaque", "tags": "Temas",
        "intro": "Notícias e publicações do município sobre a economia circular.",
        "private": "Rascunho: notas internas (não publicar)",
        "private_text": "Esta página é um rascunho interno e não deve ser indexada.",
        "not_found": "Página não encontrada", "not_found_text": "A página pedida não existe.",
        "republished": "Publicado originalmente por", "about_text": "Quem somos.",
        "privacy_text": "Como tratamos os dados pessoais.", "skip": "Saltar para o conteúdo",
    },
    "it": {
        "home": "Home", "news": "Notizie", "about": "Chi siamo", "privacy": "Privacy",
        "contact": "Contatti", "feed": "Feed RSS", "related": "Articoli correlati",
        "cookie": "Usiamo i cookie per migliorare il sito e misurare le visite.",
        "accept": "Accetta tutti i cookie", "by": "A cura di", "updated": "Aggiornato",
        "download": "Scarica il PDF", "page": "Pagina", "next": "Successiva",
        "prev": "Precedente", "newsletter": "Iscriviti alla nostra newsletter.",
        "subscribe": "Iscriviti", "featured": "In evidenza", "tags": "Argomenti",
        "intro": "Notizie e documenti del Comune sull'economia circolare.",
        "private": "Bozza: note interne (non pubblicare)",
        "private_text": "Questa pagina è una bozza interna e non deve essere indicizzata.",
        "not_found": "Pagina non trovata", "not_found_text": "La pagina richiesta non esiste.",
        "republished": "Pubblicato originariamente da", "about_text": "Chi siamo.",
        "privacy_text": "Come trattiamo i dati personali.", "skip": "Vai al contenuto",
    },
    "lt": {
        "home": "Pradžia", "news": "Naujienos", "about": "Apie mus", "privacy": "Privatumas",
        "contact": "Kontaktai", "feed": "Naujienų srautas", "related": "Susiję",
        "cookie": "Naudojame slapukus, kad pagerintume svetainę ir matuotume lankomumą.",
        "accept": "Sutinku su visais slapukais", "by": "Autorius", "updated": "Atnaujinta",
        "download": "Atsisiųsti PDF", "page": "Puslapis", "next": "Kitas", "prev": "Ankstesnis",
        "newsletter": "Užsiprenumeruokite naujienlaiškį.", "subscribe": "Prenumeruoti",
        "featured": "Svarbiausia", "tags": "Temos",
        "intro": "Savivaldybės naujienos ir dokumentai apie žiedinę ekonomiką.",
        "private": "Juodraštis: vidinės pastabos (neskelbti)",
        "private_text": "Šis puslapis yra vidinis juodraštis ir neturi būti indeksuojamas.",
        "not_found": "Puslapis nerastas", "not_found_text": "Tokio puslapio nėra.",
        "republished": "Pirmą kartą paskelbė", "about_text": "Apie savivaldybę.",
        "privacy_text": "Kaip tvarkome asmens duomenis.", "skip": "Pereiti prie turinio",
    },
    "no": {
        "home": "Forside", "news": "Nyheter", "about": "Om oss", "privacy": "Personvern",
        "contact": "Kontakt", "feed": "RSS-strøm", "related": "Relatert",
        "cookie": "Vi bruker informasjonskapsler for å forbedre nettstedet og måle besøk.",
        "accept": "Godta alle informasjonskapsler", "by": "Av", "updated": "Oppdatert",
        "download": "Last ned PDF", "page": "Side", "next": "Neste", "prev": "Forrige",
        "newsletter": "Abonner på nyhetsbrevet vårt.", "subscribe": "Abonner",
        "featured": "Aktuelt", "tags": "Temaer",
        "intro": "Nyheter og dokumenter fra kommunen om sirkulær økonomi.",
        "private": "Utkast: interne notater (ikke for publisering)",
        "private_text": "Denne siden er et internt utkast og skal ikke indekseres.",
        "not_found": "Siden finnes ikke", "not_found_text": "Siden du ba om finnes ikke.",
        "republished": "Først publisert av", "about_text": "Om kommunen.",
        "privacy_text": "Slik behandler vi personopplysninger.", "skip": "Gå til innhold",
    },
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "lt": "sausio vasario kovo balandžio gegužės birželio liepos rugpjūčio rugsėjo spalio lapkričio gruodžio",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
}

_ADDRESSES = {
    "euhub": "Circular Knowledge Hub · Rue de la Loi 200 · 1049 Brussels · Belgium",
    "urbact": "Network secretariat · 5 rue Pleyel · 93200 Saint-Denis · France",
    "denhaag": "Gemeente Den Haag · Spui 70 · 2511 BT Den Haag · telefoon 14 070",
    "porto": "Câmara Municipal do Porto · Praça General Humberto Delgado · 4049-001 Porto",
    "prato": "Comune di Prato · Piazza del Comune 2 · 59100 Prato (PO)",
    "kaunas": "Kauno miesto savivaldybė · Laisvės al. 96 · LT-44251 Kaunas",
    "oslo": "Oslo kommune · Rådhuset · 0037 Oslo · telefon 21 80 21 80",
}

TRACKING_EXAMPLES = (
    "utm_source=newsletter&utm_medium=email&utm_campaign=circular",
    "fbclid=IwAR0fixtureXYZ123",
    "utm_source=related&utm_medium=sidebar",
)


def labels(lang: str) -> dict[str, str]:
    return _LABELS.get(lang, _LABELS["en"])


def visible_date(when: datetime, lang: str) -> str:
    months = _MONTHS.get(lang)
    if months is None:
        return when.date().isoformat()
    name = months.split()[when.month - 1]
    if lang == "en":
        return f"{when.day} {name} {when.year}"
    if lang == "pt":
        return f"{when.day} de {name} de {when.year}"
    if lang == "lt":
        return f"{when.year} m. {name} {when.day} d."
    if lang == "no":
        return f"{when.day}. {name} {when.year}"
    return f"{when.day} {name} {when.year}"


def article_path(spec: SiteSpec, article: Article, slug: str | None = None) -> str:
    slug = slug or article.slug
    if article.kind == "pdf":
        return f"{spec.docs}{slug}.pdf"
    return f"{spec.section}{slug}"


def landing_path(spec: SiteSpec, article: Article) -> str | None:
    """euhub's HTML landing page of a PDF with metadata (see module docstring)."""
    if spec.name == "euhub" and article.kind == "pdf" and article.metadata != "none":
        return f"/publications/{article.slug}"
    return None


def _e(text: str) -> str:
    """Escape for text and double-quoted attributes (apostrophes stay as they are)."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def _with_query(path: str, query: str) -> str:
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + query


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _http_type(spec: SiteSpec, base: str) -> str:
    # Oslo's pages declare their charset only in the document; the others in the header too.
    if spec.charset.lower() == "utf-8":
        return f"{base}; charset=utf-8"
    return base


def _encode(spec: SiteSpec, text: str) -> bytes:
    return text.encode(spec.charset, "xmlcharrefreplace")


class _Renderer:
    def __init__(self, spec: SiteSpec, content: SiteContent | None, url_of: UrlOf):
        self.spec = spec
        self.title = (content.title if content and content.title else spec.title)
        self.articles: list[Article] = list(content.articles) if content else []
        self.url_of = url_of
        self.base = url_of(spec.name, "/").rstrip("/")
        self.l = labels(spec.language)
        self.pdf_cache: dict[tuple[str, str], bytes] = {}

    # ---- helpers -------------------------------------------------------------------------
    def abs(self, path: str) -> str:
        return self.base + path

    def latest(self) -> datetime:
        if not self.articles:
            return FIXED_DATE
        return max(a.modified for a in self.articles)

    def link_path(self, article: Article) -> str:
        return landing_path(self.spec, article) or article_path(self.spec, article)

    def pdf_bytes(self, article: Article) -> bytes:
        key = article.origin or (article.site, article.slug)
        if key not in self.pdf_cache:
            self.pdf_cache[key] = make_pdf(
                article.title, article.author, article.paragraphs, article.published,
                lang=article.lang,
            )
        return self.pdf_cache[key]

    def html_doc(self, text: str, modified: datetime) -> Document:
        return Document(
            _encode(self.spec, text), _http_type(self.spec, "text/html"), modified,
            gzip_ok=self.spec.gzip_html,
        )

    # ---- page chrome ---------------------------------------------------------------------
    def page(
        self,
        *,
        title: str,
        main: str,
        lang: str | None = None,
        head: str = "",
        crumbs: list[tuple[str, str | None]] | None = None,
        sidebar: str = "",
    ) -> str:
        spec, l = self.spec, self.l
        charset = (
            '<meta charset="windows-1252">' if spec.charset != "utf-8" else '<meta charset="utf-8">'
        )
        alt = ""
        if spec.feed_path:
            alt = (
                f'<link rel="alternate" type="{FEED_TYPES[spec.feed_format or "rss2"]}" '
                f'title="{_e(self.title)} – {_e(l["feed"])}" href="{_e(spec.feed_path)}">'
            )
        nav = [
            f'<li><a href="/">{_e(l["home"])}</a></li>',
            f'<li><a href="{spec.section}">{_e(l["news"])}</a></li>',
            f'<li><a href="/about/">{_e(l["about"])}</a></li>',
            f'<li><a href="/about/#contact">{_e(l["contact"])}</a></li>',
        ]
        if spec.feed_path:
            nav.append(f'<li><a href="{_e(spec.feed_path)}">{_e(l["feed"])}</a></li>')
        crumb_html = ""
        if crumbs:
            items = []
            for label, href in crumbs:
                if href:
                    items.append(f'<li><a href="{_e(href)}">{_e(label)}</a></li>')
                else:
                    items.append(f'<li aria-current="page">{_e(label)}</li>')
            crumb_html = (
                '<nav class="breadcrumb" aria-label="breadcrumb"><ol>' + "".join(items) + "</ol></nav>"
            )
        aside = ""
        if sidebar:
            aside = f'<aside class="sidebar">{sidebar}</aside>'
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{_e(lang or spec.language)}">\n<head>\n{charset}\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n"
            '<link rel="stylesheet" href="/static/site.css">\n'
            f"{alt}\n{head}</head>\n<body>\n"
            f'<a class="skip-link" href="#content">{_e(l["skip"])}</a>\n'
            '<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookies">'
            f'<p>{_e(l["cookie"])} <a href="/privacy/">{_e(l["privacy"])}</a></p>'
            f'<button type="button">{_e(l["accept"])}</button></div>\n'
            f'<header class="site-header"><a class="logo" href="/">{_e(self.title)}</a>\n'
            f'<nav class="main-menu" aria-label="Menu"><ul>{"".join(nav)}</ul></nav></header>\n'
            f"{crumb_html}\n"
            f'<div class="layout">\n<main id="content">\n{main}\n</main>\n{aside}\n</div>\n'
            '<footer class="site-footer">\n'
            f"<address>{_e(_ADDRESSES.get(spec.name, self.title))}</address>\n"
            f'<ul class="footer-links"><li><a href="/about/">{_e(l["about"])}</a></li>'
            f'<li><a href="/privacy/">{_e(l["privacy"])}</a></li>'
            f'<li><a href="/about/#contact">{_e(l["contact"])}</a></li></ul>\n'
            f'<p class="copyright">© 2025 {_e(self.spec.publisher)}</p>\n'
            "</footer>\n</body>\n</html>\n"
        )

    def related(self, current: Article) -> str:
        others = [a for a in self.articles if a.slug != current.slug][:3]
        if not others:
            return ""
        items = []
        for i, other in enumerate(others):
            href = self.link_path(other)
            if i == 0:
                href = _with_query(href, TRACKING_EXAMPLES[2])
            items.append(f'<li><a href="{_e(href)}">{_e(other.title)}</a></li>')
        return (
            f'<section class="related"><h2>{_e(self.l["related"])}</h2><ul>{"".join(items)}</ul>'
            f'</section><section class="newsletter"><p>{_e(self.l["newsletter"])}</p>'
            f'<form action="/newsletter" method="post"><input type="email" name="email">'
            f'<button type="submit">{_e(self.l["subscribe"])}</button></form></section>'
        )

    # ---- articles ------------------------------------------------------------------------
    def meta_head(self, article: Article, url: str) -> str:
        spec = self.spec
        if article.metadata == "full":
            tags = [
                f'<meta name="description" content="{_e(article.description)}">',
                f'<link rel="canonical" href="{_e(url)}">',
                f'<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{_e(article.title)}">',
                f'<meta property="og:description" content="{_e(article.description)}">',
                f'<meta property="og:url" content="{_e(url)}">',
                f'<meta property="og:site_name" content="{_e(self.title)}">',
                f'<meta property="og:locale" content="{_e(article.lang)}">',
                f'<meta property="article:published_time" content="{_iso(article.published)}">',
            ]
            if article.updated:
                tags.append(
                    f'<meta property="article:modified_time" content="{_iso(article.updated)}">'
                )
            if article.author:
                tags.append(f'<meta name="author" content="{_e(article.author)}">')
            for category in article.categories:
                tags.append(f'<meta property="article:tag" content="{_e(category)}">')
            return "\n".join(tags) + "\n"
        if article.metadata == "jsonld":
            data: dict = {
                "@context": "https://schema.org",
                "@type": "Article",
                "headline": article.title,
                "description": article.description,
                "datePublished": _iso(article.published),
                "inLanguage": article.lang,
                "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                "publisher": {"@type": "Organization", "name": spec.publisher},
            }
            if article.updated:
                data["dateModified"] = _iso(article.updated)
            if article.author:
                data["author"] = {"@type": "Organization", "name": article.author}
            if article.categories:
                data["keywords"] = ", ".join(article.categories)
            if article.kind == "pdf":
                data["@type"] = "Report"
                data["encoding"] = {
                    "@type": "MediaObject",
                    "contentUrl": self.abs(article_path(spec, article)),
                    "encodingFormat": "application/pdf",
                }
            text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
            return f'<script type="application/ld+json">\n{text}\n</script>\n'
        return ""

    def body_html(self, article: Article) -> str:
        parts = []
        for block in article.blocks:
            if block.kind == "h2":
                parts.append(f"<h2>{_e(block.text)}</h2>")
            elif block.kind == "ul":
                parts.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>")
            else:
                parts.append(f"<p>{_e(block.text)}</p>")
        return "\n".join(parts)

    def dateline(self, article: Article) -> str:
        shown = visible_date(article.published, self.spec.language)
        if article.metadata == "none":
            line = f'<p class="date">{_e(shown)}</p>'
        else:
            line = f'<time datetime="{_iso(article.published)}">{_e(shown)}</time>'
            if article.updated:
                upd = visible_date(article.updated, self.spec.language)
                line += (
                    f' <span class="updated">{_e(self.l["updated"])} '
                    f'<time datetime="{_iso(article.updated)}">{_e(upd)}</time></span>'
                )
        if article.author:
            line += (
                f'\n<p class="byline">{_e(self.l["by"])} '
                f'<span class="author">{_e(article.author)}</span></p>'
            )
        return line

    def article_page(self, article: Article, path: str, *, landing: bool = False) -> Document:
        url = self.abs(path)
        spec = self.spec
        if landing:
            pdf = article_path(spec, article)
            size = len(self.pdf_bytes(article))
            body = (
                f"<p>{_e(article.description)}</p>\n"
                f'<p class="download"><a href="{_e(pdf)}" type="application/pdf">'
                f"{_e(self.l['download'])} (PDF, {math.ceil(size / 1024)} kB)</a></p>"
            )
        else:
            body = self.body_html(article)
        tags = ""
        if article.categories:
            tags = (
                f'<p class="tags">{_e(self.l["tags"])}: '
                + ", ".join(f"<span>{_e(c)}</span>" for c in article.categories)
                + "</p>"
            )
        note = ""
        if article.origin:
            origin_spec = SPECS[article.origin[0]]
            origin_url = self.url_of(
                origin_spec.name, article_path(origin_spec, article, article.origin[1])
            )
            note = (
                f'<p class="source-note">{_e(self.l["republished"])} '
                f'<a href="{_e(origin_url)}">{_e(origin_spec.publisher)}</a></p>'
            )
        main = (
            '<article class="article">\n<header class="article-header">\n'
            f'<h1 class="article-title">{_e(article.title)}</h1>\n'
            f'<div class="article-meta">{self.dateline(article)}</div>\n</header>\n'
            f'<div class="article-body">\n{body}\n</div>\n'
            f'<footer class="article-footer">{tags}{note}</footer>\n</article>'
        )
        # Pages without metadata keep a generic <title>; republished copies keep the host
        # site's <html lang> (its page template), a misleading hint as in real life.
        if article.metadata == "none":
            title = self.title
        else:
            title = f"{article.title} | {self.title}"
        lang = spec.language if (article.origin or article.metadata == "none") else article.lang
        crumbs = [(self.l["home"], "/"), (self.l["news"], spec.section), (article.title, None)]
        text = self.page(
            title=title, main=main, lang=lang, head=self.meta_head(article, url), crumbs=crumbs,
            sidebar=self.related(article),
        )
        return self.html_doc(text, article.modified)

    # ---- listing, home, static pages -----------------------------------------------------
    def listing_item(self, article: Article, index: int) -> str:
        href = self.link_path(article)
        if index % 3 == 1:
            href = _with_query(href, TRACKING_EXAMPLES[0])
        suffix = " (PDF)" if article.kind == "pdf" and not landing_path(self.spec, article) else ""
        shown = visible_date(article.published, self.spec.language)
        return (
            f'<li class="teaser"><a href="{_e(href)}">{_e(article.title)}</a>{suffix} '
            f'<span class="teaser-date">{_e(shown)}</span>'
            f"<p>{_e(article.description)}</p></li>"
        )

    def listing_pages(self) -> dict[str, Document]:
        spec, l = self.spec, self.l
        articles = self.articles
        if spec.paginate:
            per_page = max(1, math.ceil(len(articles) / 3))
            chunks = [articles[i:i + per_page] for i in range(0, len(articles), per_page)] or [[]]
        else:
            chunks = [articles]
        pages: dict[str, Document] = {}
        page_paths = [spec.section] + [f"{spec.section}?page={n}" for n in range(2, len(chunks) + 1)]
        for number, chunk in enumerate(chunks, start=1):
            items = [self.listing_item(a, i) for i, a in enumerate(chunk)]
            featured = ""
            if number == 1:
                items.append(
                    f'<li class="teaser draft"><a href="{_e(spec.private_path)}">'
                    f'{_e(l["private"])}</a></li>'
                )
                if chunk:
                    first = chunk[0]
                    featured = (
                        f'<section class="featured"><h2>{_e(l["featured"])}</h2>'
                        f'<a href="{_e(_with_query(self.link_path(first), TRACKING_EXAMPLES[1]))}">'
                        f"{_e(first.title)}</a></section>\n"
                    )
            pager = ""
            if len(chunks) > 1:
                links = []
                if number > 1:
                    links.append(f'<a rel="prev" href="{_e(page_paths[number - 2])}">{_e(l["prev"])}</a>')
                for n, p in enumerate(page_paths, start=1):
                    if n == number:
                        links.append(f'<span aria-current="page">{n}</span>')
                    else:
                        links.append(f'<a href="{_e(p)}">{n}</a>')
                if number < len(chunks):
                    links.append(f'<a rel="next" href="{_e(page_paths[number])}">{_e(l["next"])}</a>')
                pager = (
                    f'<nav class="pagination" aria-label="{_e(l["page"])}">' + " ".join(links) + "</nav>"
                )
            heading = l["news"] if number == 1 else f'{l["news"]} – {l["page"]} {number}'
            main = (
                f"<h1>{_e(heading)}</h1>\n{featured}"
                f'<ul class="teasers">\n' + "\n".join(items) + f"\n</ul>\n{pager}"
            )
            modified = max((a.modified for a in chunk), default=FIXED_DATE)
            text = self.page(
                title=f"{heading} | {self.title}", main=main,
                crumbs=[(l["home"], "/"), (l["news"], None)],
            )
            pages[page_paths[number - 1]] = self.html_doc(text, modified)
        return pages

    def home(self) -> Document:
        l, spec = self.l, self.spec
        latest = "".join(
            f'<li><a href="{_e(self.link_path(a))}">{_e(a.title)}</a></li>' for a in self.articles[:5]
        )
        feed = ""
        if spec.feed_path:
            feed = f'<p class="feed-link"><a href="{_e(spec.feed_path)}">{_e(l["feed"])}</a></p>'
        main = (
            f"<h1>{_e(self.title)}</h1>\n<p>{_e(l['intro'])}</p>\n"
            f'<h2><a href="{spec.section}">{_e(l["news"])}</a></h2>\n<ul>{latest}</ul>\n{feed}'
        )
        return self.html_doc(self.page(title=self.title, main=main), self.latest())

    def simple_page(self, heading: str, text: str, modified: datetime = FIXED_DATE) -> Document:
        main = f'<h1>{_e(heading)}</h1>\n<p>{_e(text)}</p>\n<h2 id="contact">{_e(self.l["contact"])}</h2>\n'
        main += f"<p>{_e(_ADDRESSES.get(self.spec.name, self.title))}</p>"
        return self.html_doc(
            self.page(title=f"{heading} | {self.title}", main=main,
                      crumbs=[(self.l["home"], "/"), (heading, None)]),
            modified,
        )

    def private_page(self) -> Document:
        l = self.l
        main = (
            f'<article class="article"><h1 class="article-title">{_e(l["private"])}</h1>'
            f'<div class="article-body"><p>{_e(l["private_text"])}</p></div></article>'
        )
        return self.html_doc(
            self.page(title=f'{l["private"]} | {self.title}', main=main), FIXED_DATE
        )

    def robots(self, sitemaps: list[str]) -> Document:
        lines = ["User-agent: *", "Disallow: /private/", ""]
        lines += [f"Sitemap: {self.abs(p)}" for p in sitemaps]
        return Document(("\n".join(lines).strip() + "\n").encode("ascii"),
                        "text/plain; charset=utf-8", FIXED_DATE)

    # ---- feeds ---------------------------------------------------------------------------
    def feed_link(self, article: Article) -> str:
        return self.abs(_with_query(self.link_path(article), self.spec.feed_tracking))

    def rss2(self) -> Document:
        spec = self.spec
        x = xml_escape
        items = []
        for a in self.articles:
            link = self.feed_link(a)
            if spec.name == "oslo":
                guid = f'<guid isPermaLink="true">{x(self.abs(article_path(spec, a)))}</guid>'
            else:
                guid = f'<guid isPermaLink="false">urn:fixture:{spec.name}:{x(a.slug)}</guid>'
            parts = [
                f"<title>{x(a.title)}</title>", f"<link>{x(link)}</link>", guid,
                f"<pubDate>{format_datetime(a.published)}</pubDate>",
                f"<description>{x(a.description)}</description>",
            ]
            if a.author:
                parts.append(f"<dc:creator>{x(a.author)}</dc:creator>")
            parts += [f"<category>{x(c)}</category>" for c in a.categories]
            if landing_path(spec, a):
                pdf = self.abs(article_path(spec, a))
                parts.append(
                    f"<enclosure url={quoteattr(pdf)} length=\"{len(self.pdf_bytes(a))}\" "
                    'type="application/pdf"/>'
                )
            items.append("<item>\n" + "\n".join(parts) + "\n</item>")
        feed_url = self.abs(spec.feed_path or "/feed.xml")
        text = (
            f'<?xml version="1.0" encoding="{spec.charset}"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{x(self.title)}</title>\n<link>{x(self.abs('/'))}</link>\n"
            f"<description>{x(self.l['intro'])}</description>\n"
            f"<language>{spec.language}</language>\n"
            f"<lastBuildDate>{format_datetime(self.latest())}</lastBuildDate>\n"
            f'<atom:link href={quoteattr(feed_url)} rel="self" type="application/rss+xml"/>\n'
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )
        # Oslo's feed names its encoding only in the XML declaration.
        ctype = "application/rss+xml" if spec.charset != "utf-8" else "application/rss+xml; charset=utf-8"
        return Document(_encode(spec, text), ctype, self.latest())

    def atom(self) -> Document:
        spec = self.spec
        x = xml_escape
        entries = []
        for a in self.articles:
            if a.kind == "pdf" and not landing_path(spec, a):
                # a PDF entry: the document itself is the link, and an enclosure as well
                pdf = self.abs(article_path(spec, a))
                links = (
                    f"<link href={quoteattr(self.feed_link(a))}/>\n"
                    f'<link rel="enclosure" type="application/pdf" '
                    f'length="{len(self.pdf_bytes(a))}" href={quoteattr(pdf)}/>'
                )
            else:
                links = (
                    f'<link rel="alternate" type="text/html" href={quoteattr(self.feed_link(a))}/>'
                )
            parts = [
                f"<title>{x(a.title)}</title>",
                links,
                f"<id>tag:{spec.name}.fixture,{a.published.year}:{x(a.slug)}</id>",
                f"<published>{_iso(a.published)}</published>",
                f"<updated>{_iso(a.modified)}</updated>",
                f"<summary>{x(a.description)}</summary>",
            ]
            if a.author:
                parts.append(f"<author><name>{x(a.author)}</name></author>")
            parts += [f"<category term={quoteattr(c)}/>" for c in a.categories]
            entries.append(f'<entry xml:lang="{a.lang}">\n' + "\n".join(parts) + "\n</entry>")
        text = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{spec.language}">\n'
            f"<title>{x(self.title)}</title>\n<subtitle>{x(self.l['intro'])}</subtitle>\n"
            f"<id>tag:{spec.name}.fixture,2025:feed</id>\n<updated>{_iso(self.latest())}</updated>\n"
            f'<link rel="self" type="application/atom+xml" href={quoteattr(self.abs(spec.feed_path or "/"))}/>\n'
            f'<link rel="alternate" type="text/html" href={quoteattr(self.abs("/"))}/>\n'
            f"<author><name>{x(spec.publisher)}</name></author>\n"
            + "\n".join(entries)
            + "\n</feed>\n"
        )
        return Document(text.encode("utf-8"), "application/atom+xml; charset=utf-8", self.latest())

    def rdf(self) -> Document:
        spec = self.spec
        x = xml_escape
        urls = [self.feed_link(a) for a in self.articles]
        seq = "".join(f'<rdf:li rdf:resource={quoteattr(u)}/>' for u in urls)
        items = []
        for a, url in zip(self.articles, urls):
            parts = [
                f"<title>{x(a.title)}</title>", f"<link>{x(url)}</link>",
                f"<description>{x(a.description)}</description>",
                f"<dc:date>{_iso(a.published)}</dc:date>", f"<dc:language>{a.lang}</dc:language>",
            ]
            if a.author:
                parts.append(f"<dc:creator>{x(a.author)}</dc:creator>")
            parts += [f"<dc:subject>{x(c)}</dc:subject>" for c in a.categories]
            items.append(f"<item rdf:about={quoteattr(url)}>\n" + "\n".join(parts) + "\n</item>")
        feed_url = self.abs(spec.feed_path or "/rss.rdf")
        text = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"<channel rdf:about={quoteattr(feed_url)}>\n<title>{x(self.title)}</title>\n"
            f"<link>{x(self.abs('/'))}</link>\n<description>{x(self.l['intro'])}</description>\n"
            f"<dc:language>{spec.language}</dc:language>\n<dc:date>{_iso(self.latest())}</dc:date>\n"
            f"<items><rdf:Seq>{seq}</rdf:Seq></items>\n</channel>\n"
            + "\n".join(items)
            + "\n</rdf:RDF>\n"
        )
        return Document(text.encode("utf-8"), "application/rdf+xml; charset=utf-8", self.latest())

    def jsonfeed(self) -> Document:
        spec = self.spec
        items = []
        for a in self.articles:
            item: dict = {
                "id": f"{spec.name}-{a.slug}",
                "url": self.feed_link(a),
                "title": a.title,
                "summary": a.description,
                "content_text": a.description,
                "date_published": _iso(a.published),
                "language": a.lang,
            }
            if a.updated:
                item["date_modified"] = _iso(a.updated)
            if a.author:
                item["authors"] = [{"name": a.author}]
            if a.categories:
                item["tags"] = list(a.categories)
            if a.kind == "pdf":
                item["attachments"] = [{
                    "url": self.abs(article_path(spec, a)),
                    "mime_type": "application/pdf",
                    "title": a.title,
                    "size_in_bytes": len(self.pdf_bytes(a)),
                }]
            items.append(item)
        data = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "home_page_url": self.abs("/"),
            "feed_url": self.abs(spec.feed_path or "/feed.json"),
            "description": self.l["intro"],
            "language": spec.language,
            "authors": [{"name": spec.publisher}],
            "items": items,
        }
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return Document(body, "application/feed+json; charset=utf-8", self.latest())

    # ---- sitemaps ------------------------------------------------------------------------
    def urlset(self, entries: list[tuple[str, datetime]]) -> bytes:
        rows = "".join(
            f"<url><loc>{xml_escape(self.abs(p))}</loc><lastmod>{_iso(m)}</lastmod></url>\n"
            for p, m in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n"
        ).encode("utf-8")

    def sitemap_index(self, entries: list[tuple[str, datetime]]) -> bytes:
        rows = "".join(
            f"<sitemap><loc>{xml_escape(self.abs(p))}</loc><lastmod>{_iso(m)}</lastmod></sitemap>\n"
            for p, m in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + rows + "</sitemapindex>\n"
        ).encode("utf-8")


def _static_css() -> Document:
    css = (
        "body{font-family:sans-serif;margin:0}.cookie-banner{position:fixed;bottom:0;"
        "background:#222;color:#fff;padding:1em}.layout{display:flex;gap:2em}"
        "main{flex:3}aside{flex:1}\n"
    )
    return Document(css.encode("ascii"), "text/css; charset=utf-8", FIXED_DATE)


def build_site(spec: SiteSpec, content: SiteContent | None, url_of: UrlOf) -> dict[str, Document]:
    """All documents of one site, keyed by path (listing pages beyond the first by path?query)."""
    r = _Renderer(spec, content, url_of)
    docs: dict[str, Document] = {}
    for article in r.articles:
        path = article_path(spec, article)
        if article.kind == "pdf":
            docs[path] = Document(r.pdf_bytes(article), "application/pdf", article.modified)
            landing = landing_path(spec, article)
            if landing:
                docs[landing] = r.article_page(article, landing, landing=True)
        else:
            docs[path] = r.article_page(article, path)
    docs.update(r.listing_pages())
    docs["/"] = r.home()
    docs["/about/"] = r.simple_page(r.l["about"], r.l["about_text"])
    docs["/privacy/"] = r.simple_page(r.l["privacy"], r.l["privacy_text"])
    docs[spec.private_path] = r.private_page()
    docs["/static/site.css"] = _static_css()

    if spec.feed_path and spec.feed_format:
        docs[spec.feed_path] = getattr(r, spec.feed_format)()

    sitemaps: list[str] = []
    if spec.name == "urbact":
        html_entries = [(article_path(spec, a), a.modified) for a in r.articles if a.kind == "html"]
        pdf_entries = [(article_path(spec, a), a.modified) for a in r.articles if a.kind == "pdf"]
        gp = r.urlset(html_entries)
        docs["/sitemaps/good-practices.xml.gz"] = Document(
            gzip.compress(gp, mtime=0), "application/x-gzip",
            max((m for _, m in html_entries), default=FIXED_DATE),
        )
        docs["/sitemaps/library.xml"] = Document(
            r.urlset(pdf_entries), "application/xml; charset=utf-8",
            max((m for _, m in pdf_entries), default=FIXED_DATE),
        )
        index = [
            ("/sitemaps/good-practices.xml.gz", docs["/sitemaps/good-practices.xml.gz"].last_modified),
            ("/sitemaps/library.xml", docs["/sitemaps/library.xml"].last_modified),
        ]
        docs["/sitemap_index.xml"] = Document(
            r.sitemap_index(index), "application/xml; charset=utf-8", r.latest()
        )
        sitemaps.append("/sitemap_index.xml")
    elif spec.name == "porto":
        entries = [("/", r.latest()), (spec.section, r.latest())]
        entries += [(article_path(spec, a), a.modified) for a in r.articles]
        docs["/sitemap.xml"] = Document(
            r.urlset(entries), "application/xml; charset=utf-8", r.latest()
        )
        sitemaps.append("/sitemap.xml")
    docs["/robots.txt"] = r.robots(sitemaps)
    return docs


def not_found_page(spec: SiteSpec | None, title: str) -> bytes:
    lang = spec.language if spec else "en"
    l = labels(lang)
    text = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{_e(l['not_found'])} | {_e(title)}</title></head>\n"
        f'<body><h1>{_e(l["not_found"])}</h1><p>{_e(l["not_found_text"])}</p>'
        f'<p><a href="/">{_e(l["home"])}</a></p></body></html>\n'
    )
    return text.encode("utf-8")
