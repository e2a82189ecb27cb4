"""Who the fixture sites are: their specs (publisher, language, URL layout, feed format) and
the documents they serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .content_loader import Article

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

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

ADDRESSES = {
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
