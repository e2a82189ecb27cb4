"""The RDF of one page of the fixture DCAT-AP catalogue (see :mod:`.dcat`).

The formats are stated in the ways real catalogues state them (an EU file-type URI, a plain
``dct:format`` literal, a ``dct:IMT`` node with ``rdf:value``, a ``dcat:mediaType`` IANA URI, or
nothing but the URL's extension), so the harvester's reading of each is exercised.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
_MEDIA = {"pdf": "application/pdf", "html": "text/html", "csv": "text/csv"}
_PATHS = {"pdf": "/files/{}.pdf", "html": "/report/{}.html", "csv": "/files/{}.csv"}


def catalogue_graph(cat, live: list[dict[str, Any]], page: int, *, old_hydra: bool, path: str,
                    broken: bool = False) -> Graph | None:
    """Page ``page`` (from 1) of the catalogue at ``path``; None past the last page."""
    size = cat.page_size
    pages = max(1, -(-len(live) // size))
    if page < 1 or page > pages:
        return None
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCT), ("foaf", FOAF), ("hydra", HYDRA)):
        g.bind(prefix, ns)
    catalogue = URIRef(cat.url("/catalogue"))
    g.add((catalogue, RDF.type, DCAT.Catalog))
    g.add((catalogue, DCT.title, Literal("Circular cities open data (fixture)", lang="en")))
    g.add((catalogue, DCT.publisher, _agent(g, "European Circular Cities Observatory")))
    for d in live[(page - 1) * size:page * size]:
        uri = URIRef(cat.dataset_uri(d["slug"]))
        g.add((catalogue, DCAT.dataset, uri))
        _dataset(g, cat, uri, d)
    if broken and page == 1:
        uri = URIRef(cat.dataset_uri("untitled-upload"))
        g.add((catalogue, DCAT.dataset, uri))
        g.add((uri, RDF.type, DCAT.Dataset))
        g.add((uri, DCT.issued, Literal("2024-01-01", datatype=XSD.date)))
    _paging(g, cat, path, page, pages, len(live), old_hydra)
    return g


def _paging(g: Graph, cat, path: str, page: int, pages: int, total: int, old: bool) -> None:
    def at(n: int) -> URIRef:
        return URIRef(cat.url(f"{path}?page={n}"))

    if old:  # data.europa.eu's earlier style
        node = at(page)
        g.add((node, RDF.type, HYDRA.PagedCollection))
        g.add((node, HYDRA.totalItems, Literal(total)))
        g.add((node, HYDRA.itemsPerPage, Literal(cat.page_size)))
        g.add((node, HYDRA.firstPage, at(1)))
        g.add((node, HYDRA.lastPage, at(pages)))
        if page < pages:
            g.add((node, HYDRA.nextPage, at(page + 1)))
        if page > 1:
            g.add((node, HYDRA.previousPage, at(page - 1)))
        return
    collection = URIRef(cat.url(path))
    view = at(page)
    g.add((collection, HYDRA.totalItems, Literal(total)))
    g.add((collection, HYDRA.view, view))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, HYDRA.first, at(1)))
    g.add((view, HYDRA.last, at(pages)))
    if page < pages:
        g.add((view, HYDRA.next, at(page + 1)))
    if page > 1:
        g.add((view, HYDRA.previous, at(page - 1)))


def _agent(g: Graph, name: str) -> BNode:
    node = BNode()
    g.add((node, RDF.type, FOAF.Organization))
    g.add((node, FOAF.name, Literal(name)))
    return node


def _when(v: Any) -> Literal:
    if isinstance(v, datetime):
        return Literal(v.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)
    if isinstance(v, date):
        return Literal(v.isoformat(), datatype=XSD.date)
    return Literal(str(v), datatype=XSD.date)


def _dataset(g: Graph, cat, uri: URIRef, d: dict[str, Any]) -> None:
    g.add((uri, RDF.type, DCAT.Dataset))
    for lang, text in d["titles"].items():
        g.add((uri, DCT.title, Literal(text, lang=lang)))
    for lang, text in d["descriptions"].items():
        g.add((uri, DCT.description, Literal(text, lang=lang)))
    for lang, words in (d.get("keywords") or {}).items():
        for w in words:
            g.add((uri, DCAT.keyword, Literal(w, lang=lang)))
    for theme in d.get("themes") or []:
        g.add((uri, DCAT.theme, URIRef(f"{EU}data-theme/{theme}")))
    g.add((uri, DCT.language, URIRef(f"{EU}language/{d['language']}")))
    g.add((uri, DCT.issued, _when(d["issued"])))
    g.add((uri, DCT.modified, _when(d["modified"])))
    g.add((uri, DCT.publisher, _agent(g, d["publisher"])))
    g.add((uri, DCT.license, URIRef(f"{EU}licence/CC_BY_4_0")))
    g.add((uri, DCT.identifier, Literal(d["slug"])))
    if d.get("landing"):
        g.add((uri, DCAT.landingPage, URIRef(cat.url(f"/page/{d['slug']}.html"))))
    for n, dist in enumerate(d.get("distributions") or []):
        _distribution(g, cat, uri, d["slug"], n, dist)


def _distribution(g: Graph, cat, uri: URIRef, slug: str, n: int, dist: dict[str, Any]) -> None:
    kind, how = dist["kind"], dist.get("format", "literal")
    node = URIRef(f"{uri}/distribution/{n + 1}")
    g.add((uri, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    link = URIRef(cat.url(_PATHS[kind].format(slug)))
    g.add((node, DCAT.accessURL if kind == "html" else DCAT.downloadURL, link))
    if how == "filetype":
        g.add((node, DCT["format"], URIRef(f"{EU}file-type/{kind.upper()}")))
    elif how == "literal":
        g.add((node, DCT["format"], Literal(kind.upper())))
    elif how == "imt":
        imt = BNode()
        g.add((imt, RDF.type, DCT.IMT))
        g.add((imt, RDF.value, Literal(_MEDIA[kind])))
        g.add((node, DCT["format"], imt))
    elif how == "media":
        g.add((node, DCAT.mediaType, URIRef(IANA + _MEDIA[kind])))
