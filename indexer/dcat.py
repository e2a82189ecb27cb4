"""DCAT-AP catalogues: RDF bytes → datasets with what the harvester needs (never I/O).

A catalogue page (RDF/XML, Turtle, N-Triples or JSON-LD, as data.europa.eu, national portals
and ckanext-dcat publish them) is parsed with rdflib into :class:`CataloguePage`: its
``dcat:Dataset`` records as :class:`Dataset` (titles and descriptions in the dataset's
language, dates, languages as ISO 639-1, publisher, licence, keywords and themes, landing page,
distributions with a normalised format) and the next page of a Hydra-paged listing
(``hydra:PartialCollectionView``/``hydra:next``, or the older ``hydra:PagedCollection``/
``hydra:nextPage``).

Nothing here fetches anything: a JSON-LD document naming a remote ``@context`` (or
``@import``) is refused with :class:`CatalogueError` before rdflib sees it, and an XML
document declaring entities is refused too. A dataset that cannot be read is a *problem* of
the page (its identifier and why); the other datasets are still read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlparse

from .dates import parse_date
from .language import normalise_language_code
from .resource import Hints, as_utc

__all__ = ["CatalogueError", "CataloguePage", "Dataset", "Distribution", "RDF_TYPES",
           "language_code", "parse_catalogue", "rdf_format"]

MAX_CATALOGUE_BYTES = 32 * 1024 * 1024  # a page larger than this is refused before parsing
MAX_TRIPLES = 1_000_000  # a page with more statements is refused after parsing
MAX_DISTRIBUTIONS = 20  # distributions read per dataset

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
VCARD_FN = "http://www.w3.org/2006/vcard/ns#fn"

# content type → rdflib parser
RDF_TYPES: dict[str, str] = {
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle",
    "application/n-triples": "nt", "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
_HINTS = {"rdfxml": "xml", "rdf/xml": "xml", "xml": "xml", "turtle": "turtle", "ttl": "turtle",
          "jsonld": "json-ld", "json-ld": "json-ld", "ntriples": "nt", "nt": "nt"}

# EU authority table "data-theme" → label
EU_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health",
    "INTR": "International issues", "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities", "SOCI": "Population and society",
    "TECH": "Science and technology", "TRAN": "Transport",
}
_MEDIA_FORMATS = {"application/pdf": "PDF", "application/x-pdf": "PDF", "text/html": "HTML",
                  "application/xhtml+xml": "HTML", "text/csv": "CSV",
                  "application/json": "JSON", "application/xml": "XML", "text/xml": "XML",
                  "application/zip": "ZIP"}
_EXT_FORMATS = {"pdf": "PDF", "html": "HTML", "htm": "HTML", "csv": "CSV", "json": "JSON",
                "xml": "XML", "xlsx": "XLSX", "xls": "XLS", "zip": "ZIP", "ods": "ODS"}
_FORMAT_ALIASES = {"HTM": "HTML", "XHTML": "HTML", "PDFA1B": "PDF", "PDFA": "PDF",
                   "PDF1X": "PDF", "PDFX": "PDF", "WEB PAGE": "HTML", "WEBPAGE": "HTML"}


class CatalogueError(ValueError):
    """The page cannot be read as a DCAT catalogue (one line naming the cause)."""


@dataclass
class Distribution:
    url: str
    format: str | None = None  # normalised: PDF, HTML, CSV, …
    media_type: str | None = None
    title: str | None = None


@dataclass
class Dataset:
    uri: str  # its IRI (the guid of what it becomes), or a stable identifier URL
    title: str | None = None
    description: str | None = None
    language: str | None = None  # ISO 639-1 of the title picked (or of the dataset)
    languages: list[str] = field(default_factory=list)  # dct:language, ISO 639-1
    issued: datetime | None = None
    modified: datetime | None = None
    publisher: str | None = None
    creators: list[str] = field(default_factory=list)  # dct:creator names
    licence: str | None = None
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    landing_page: str | None = None
    distributions: list[Distribution] = field(default_factory=list)

    def hints(self, guid: str | None = None) -> Hints:
        categories = list(dict.fromkeys(self.keywords + self.themes))
        return Hints(guid=guid or self.uri, title=self.title, summary=self.description,
                     published=self.issued, updated=self.modified, authors=list(self.creators),
                     language=self.language, categories=categories,
                     publisher=self.publisher, licence=self.licence)

    def wanted(self, formats: list[str]) -> list[Distribution]:
        """Its distributions in ``formats`` (upper-case names), in the order of ``formats``."""
        order = {f: i for i, f in enumerate(formats)}
        found = [d for d in self.distributions if d.format in order]
        return sorted(found, key=lambda d: order[d.format])


@dataclass
class CataloguePage:
    url: str
    title: str | None = None
    is_catalogue: bool = False  # a dcat:Catalog is described
    datasets: list[Dataset] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (dataset, why)
    next_url: str | None = None
    total: int | None = None  # hydra:totalItems, when given


# -- formats -----------------------------------------------------------------------------------
def rdf_format(body: bytes, content_type: str | None = None, hint: str | None = None) -> str:
    """The rdflib parser for ``body``: the operator's hint, else the content type, else a
    look at the first bytes. Raises :class:`CatalogueError` for HTML and what is not RDF."""
    if hint:
        try:
            return _HINTS[hint.lower().replace(" ", "")]
        except KeyError:
            raise CatalogueError(f"unknown RDF format {hint!r}") from None
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in RDF_TYPES and ctype not in ("application/xml", "text/xml", "application/json"):
        return RDF_TYPES[ctype]
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json-ld"
    if head[:1] == b"<":
        low = head.lower()
        if b"<html" in low or b"<!doctype html" in low:
            raise CatalogueError("the answer is an HTML page, not an RDF catalogue")
        if re.match(rb"<[a-z]+:?[a-z]*://|<https?:", head, re.I):  # <http://…> <…> N-Triples
            return "turtle"
        return "xml"
    if re.search(rb"^\s*(@prefix|@base|prefix\s|base\s)", head, re.I | re.M) or head[:2] == b"_:":
        return "turtle"
    raise CatalogueError(f"the answer ({ctype or 'no content type'}) is not RDF/XML, "
                         "Turtle or JSON-LD")


def _remote_contexts(node, found: list[str]) -> None:
    """Every remote ``@context``/``@import`` a JSON-LD value names (depth-first)."""
    if isinstance(node, list):
        for x in node:
            _remote_contexts(x, found)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k in ("@context", "@import"):
                for c in (v if isinstance(v, list) else [v]):
                    if isinstance(c, str):
                        found.append(c)
                    else:
                        _remote_contexts(c, found)
            elif isinstance(v, (list, dict)):
                _remote_contexts(v, found)


def _checked(body: bytes, fmt: str, max_bytes: int) -> bytes:
    if len(body) > max_bytes:
        raise CatalogueError(f"the page is larger than {max_bytes // (1024 * 1024)} MiB")
    if fmt == "xml" and re.search(rb"<!ENTITY", body[:65536]):
        raise CatalogueError("the RDF/XML declares XML entities, which are never expanded")
    if fmt == "json-ld":
        try:
            doc = json.loads(body)
            remote: list[str] = []
            _remote_contexts(doc, remote)
        except ValueError as exc:
            raise CatalogueError(f"the JSON-LD is not valid JSON: {exc}") from None
        except RecursionError:
            raise CatalogueError("the JSON-LD is nested too deeply to be read") from None
        if remote:
            raise CatalogueError(f"the JSON-LD names a remote @context ({remote[0]}), which is "
                                 "never fetched: the catalogue must give its context inline")
    return body


def _graph(body: bytes, url: str, fmt: str):
    from rdflib import Graph

    g = Graph()
    try:
        g.parse(data=body, format=fmt, publicID=url)
    except Exception as exc:  # noqa: BLE001 - rdflib raises many kinds for bad input
        why = " ".join(str(exc).split())[:300] or exc.__class__.__name__
        raise CatalogueError(f"the {_FORMAT_NAMES[fmt]} cannot be parsed: {why}") from None
    if len(g) > MAX_TRIPLES:
        raise CatalogueError(f"the page holds more than {MAX_TRIPLES} statements")
    return g


_FORMAT_NAMES = {"xml": "RDF/XML", "turtle": "Turtle", "nt": "N-Triples", "json-ld": "JSON-LD"}


# -- the page --------------------------------------------------------------------------------
def parse_catalogue(body: bytes, url: str, content_type: str | None = None, *,
                    hint: str | None = None, max_bytes: int = MAX_CATALOGUE_BYTES
                    ) -> CataloguePage:
    """The datasets and the next page of one catalogue page. Raises :class:`CatalogueError`."""
    from rdflib import RDF, URIRef

    fmt = rdf_format(body, content_type, hint)
    g = _graph(_checked(body, fmt, max_bytes), url, fmt)
    page = CataloguePage(url=url)
    catalogues = list(g.subjects(RDF.type, URIRef(DCAT + "Catalog")))
    page.is_catalogue = bool(catalogues)
    if catalogues:
        page.title = _pick(g, catalogues[0], DCT + "title", [])[0]
    subjects = set(g.subjects(RDF.type, URIRef(DCAT + "Dataset")))
    subjects.update(o for o in g.objects(None, URIRef(DCAT + "dataset"))
                    if (o, URIRef(DCT + "title"), None) in g)
    for s in sorted(subjects, key=str):
        try:
            page.datasets.append(_dataset(g, s))
        except CatalogueError as exc:
            page.problems.append((_name_of(s), str(exc)))
        except Exception as exc:  # noqa: BLE001 - one dataset never ends the page
            page.problems.append((_name_of(s), f"{exc.__class__.__name__}: {exc}"))
    page.next_url, page.total = _paging(g, url)
    return page


def _name_of(node) -> str:
    from rdflib import URIRef

    return str(node) if isinstance(node, URIRef) else f"a dataset without IRI ({node})"


def _paging(g, url: str) -> tuple[str | None, int | None]:
    """(next page, total items) of a Hydra-paged listing."""
    from rdflib import URIRef

    nxt, total = None, None
    for pred in ("next", "nextPage"):
        for s, o in g.subject_objects(URIRef(HYDRA + pred)):
            if isinstance(o, URIRef) and str(o) != url:
                nxt = str(o)
                break
        if nxt:
            break
    for o in g.objects(None, URIRef(HYDRA + "totalItems")):
        try:
            total = int(o)
        except (TypeError, ValueError):
            pass
    return nxt, total


# -- one dataset -------------------------------------------------------------------------------
def _literals(g, s, pred: str) -> list[tuple[str, str | None]]:
    """(text, language tag) of the literal values of ``pred``."""
    from rdflib import Literal, URIRef

    out = []
    for o in g.objects(s, URIRef(pred)):
        if isinstance(o, Literal):
            text = " ".join(str(o).split())
            if text:
                out.append((text, (o.language or "").lower()[:2] or None))
    return out


def _pick(g, s, pred: str, languages: list[str]) -> tuple[str | None, str | None]:
    """The value of ``pred`` in the first of ``languages`` that has one, else an untagged
    value, else English, else the first of the others (sorted: the same every run)."""
    values = _literals(g, s, pred)
    if not values:
        return None, None
    for lang in [*languages, None, "en"]:
        for text, tag in values:
            if tag == lang:
                return text, tag
    return min(values, key=lambda v: (v[1] or "", v[0]))


def language_code(value: str | None) -> str | None:
    """ISO 639-1 of a language URI (EU authority table, id.loc.gov, lexvo) or code."""
    return normalise_language_code(value)


def _languages(g, s) -> list[str]:
    from rdflib import Literal, URIRef

    out = []
    for o in g.objects(s, URIRef(DCT + "language")):
        code = language_code(str(o) if isinstance(o, (URIRef, Literal))
                             else str(g.value(o, URIRef(RDF_VALUE)) or ""))
        if code and code not in out:
            out.append(code)
    return out


def _date(g, s, pred: str) -> datetime | None:
    from rdflib import Literal, URIRef

    for o in g.objects(s, URIRef(pred)):
        if not isinstance(o, Literal):
            continue
        v = o.toPython()
        if isinstance(v, datetime):
            return as_utc(v)
        if isinstance(v, date):
            return as_utc(datetime(v.year, v.month, v.day))
        found = parse_date(str(o))
        if found:
            return found
    return None


def _dataset(g, s) -> Dataset:
    from rdflib import BNode, URIRef

    uri = str(s) if isinstance(s, URIRef) else _identifier(g, s)
    if not uri or urlparse(uri).scheme not in ("http", "https"):
        raise CatalogueError("the dataset has no http(s) IRI or identifier")
    languages = _languages(g, s)
    title, tag = _pick(g, s, DCT + "title", languages)
    description, _ = _pick(g, s, DCT + "description", [tag] if tag else languages)
    if not title and not description:
        raise CatalogueError("the dataset has neither a title nor a description")
    ds = Dataset(uri=uri, title=title, description=description,
                 language=tag or (languages[0] if languages else None), languages=languages,
                 issued=_date(g, s, DCT + "issued"), modified=_date(g, s, DCT + "modified"))
    ds.publisher = _agent_name(g, g.value(s, URIRef(DCT + "publisher")), ds.language)
    creators = (_agent_name(g, o, ds.language) for o in g.objects(s, URIRef(DCT + "creator")))
    ds.creators = list(dict.fromkeys(c for c in creators if c))
    licence = g.value(s, URIRef(DCT + "license"))
    if licence is None:
        for dist in g.objects(s, URIRef(DCAT + "distribution")):
            licence = licence or g.value(dist, URIRef(DCT + "license"))
    if licence is not None and not isinstance(licence, BNode):
        ds.licence = str(licence)
    elif licence is not None:
        ds.licence = _pick(g, licence, DCT + "title", [])[0] or _pick(
            g, licence, RDFS_LABEL, [])[0]
    keywords = _literals(g, s, DCAT + "keyword")
    mine = [k for k, t in keywords if t in (None, ds.language)]
    ds.keywords = list(dict.fromkeys(mine or [k for k, _ in keywords]))
    ds.themes = _themes(g, s, ds.language)
    landing = g.value(s, URIRef(DCAT + "landingPage"))
    if isinstance(landing, URIRef):
        ds.landing_page = str(landing)
    ds.distributions = _distributions(g, s)
    return ds


def _identifier(g, s) -> str | None:
    for text, _ in _literals(g, s, DCT + "identifier"):
        if text.startswith(("http://", "https://")):
            return text
    return None


def _agent_name(g, pub, language: str | None) -> str | None:
    """The name of a publisher or creator (foaf:name, skos:prefLabel, vcard:fn, rdfs:label)."""
    from rdflib import Literal

    if pub is None:
        return None
    if isinstance(pub, Literal):
        return str(pub).strip() or None
    langs = [language] if language else []
    for pred in (FOAF + "name", SKOS_PREF, VCARD_FN, RDFS_LABEL):
        name, _ = _pick(g, pub, pred, langs)
        if name:
            return name
    return None


def _themes(g, s, language: str | None) -> list[str]:
    from rdflib import URIRef

    out = []
    for o in g.objects(s, URIRef(DCAT + "theme")):
        label = _pick(g, o, SKOS_PREF, [language] if language else [])[0]
        if not label and isinstance(o, URIRef):
            code = str(o).rstrip("/").rsplit("/", 1)[-1]
            label = EU_THEMES.get(code.upper())
        if label and label not in out:
            out.append(label)
    return out


# -- distributions ---------------------------------------------------------------------------
def _format_token(value: str | None) -> str | None:
    """PDF, HTML, … from a media type, an EU file-type URI or a format name."""
    if not value:
        return None
    v = value.strip()
    low = v.lower()
    if "iana.org/assignments/media-types/" in low:
        low = low.split("media-types/", 1)[1]
    if "/" in low and not low.startswith("http"):
        low = low.split(";")[0].strip()
        return _MEDIA_FORMATS.get(low) or low.split("/")[-1].upper()
    token = v.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].upper()
    token = re.sub(r"[^A-Z0-9 ]", "", token) or None
    return _FORMAT_ALIASES.get(token, token) if token else None


def _node_text(g, o) -> str | None:
    from rdflib import Literal, URIRef

    if isinstance(o, (Literal, URIRef)):
        return str(o)
    for pred in (RDF_VALUE, RDFS_LABEL, SKOS_PREF):
        v = g.value(o, URIRef(pred))
        if v is not None:
            return str(v)
    return None


def _distributions(g, s) -> list[Distribution]:
    from rdflib import URIRef

    out: list[Distribution] = []
    for d in list(g.objects(s, URIRef(DCAT + "distribution")))[:MAX_DISTRIBUTIONS]:
        link = g.value(d, URIRef(DCAT + "downloadURL")) or g.value(d, URIRef(DCAT + "accessURL"))
        if link is None:
            continue
        url = str(link).strip()
        media = _node_text(g, g.value(d, URIRef(DCAT + "mediaType")))
        fmt_node = g.value(d, URIRef(DCT + "format"))
        fmt = _format_token(_node_text(g, fmt_node) if fmt_node is not None else None)
        fmt = fmt or _format_token(media)
        if not fmt:
            ext = urlparse(url).path.rsplit(".", 1)[-1].lower() if "." in url else ""
            fmt = _EXT_FORMATS.get(ext)
        out.append(Distribution(url=url, format=fmt, media_type=media,
                                title=_pick(g, d, DCT + "title", [])[0]))
    return sorted(out, key=lambda d: d.url)
