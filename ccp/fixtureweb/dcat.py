"""A DCAT-AP catalogue on 127.0.0.1 (port 0), the way data.europa.eu and national portals
publish one: for the ``dcat`` source type's tests and the demo.

>>> with DcatCatalogue() as cat:                                 # doctest: +SKIP
...     cat.url("/catalogue.ttl")
'http://127.0.0.1:40123/catalogue.ttl'

* ``/catalogue`` answers in Turtle, RDF/XML or JSON-LD by content negotiation (``Accept``,
  ``Vary: Accept``); ``/catalogue.ttl``, ``/catalogue.rdf``, ``/catalogue.jsonld`` give one
  serialisation each. Every listing is Hydra-paged (``?page=N``, ``page_size`` datasets a
  page): ``hydra:PartialCollectionView`` with ``hydra:next``, except ``/catalogue.rdf``, which
  uses the older ``hydra:PagedCollection``/``hydra:nextPage`` data.europa.eu used.
* Every answer has an ETag and honours ``If-None-Match`` (304).
* The datasets (``dcat_datasets.yaml``, ~20 in a dozen EU languages) have PDF, HTML and CSV
  distributions served here (``/files/<slug>.pdf``, ``/report/<slug>.html``, ``/files/<slug>.csv``)
  and landing pages (``/page/<slug>.html``).
* Between runs: :meth:`modify` (a new title and text, ``dct:modified`` now), :meth:`delete`,
  ``broken_dataset`` (one dataset with neither title nor description joins the first page).
* ``/`` is an HTML home page linking to ``/catalogue.ttl`` (``<link rel="alternate">``).
* ``/broken.ttl`` is a Turtle file with a syntax error; ``/remote-context.jsonld`` names a
  remote ``@context`` (``/context.jsonld``, which a harvester must never ask for).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from .pdf import make_pdf

__all__ = ["DcatCatalogue", "DATASETS_FILE"]

DATASETS_FILE = Path(__file__).resolve().parent / "dcat_datasets.yaml"
_SERIAL = {"turtle": ("turtle", "text/turtle"), "xml": ("pretty-xml", "application/rdf+xml"),
           "json-ld": ("json-ld", "application/ld+json")}
_PREFIXES = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
             "foaf": "http://xmlns.com/foaf/0.1/", "hydra": "http://www.w3.org/ns/hydra/core#",
             "xsd": "http://www.w3.org/2001/XMLSchema#",
             "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}


@dataclass
class RequestLog:
    path: str  # with the query
    status: int
    accept: str | None = None
    conditional: bool = False


@dataclass
class _State:
    datasets: list[dict[str, Any]]
    deleted: set[str] = field(default_factory=set)
    broken_dataset: bool = False


def load_datasets() -> list[dict[str, Any]]:
    return yaml.safe_load(DATASETS_FILE.read_text(encoding="utf-8"))


class DcatCatalogue:
    """The fixture catalogue's server (start/stop, or a ``with`` block)."""

    def __init__(self, page_size: int = 7, host: str = "127.0.0.1"):
        self.page_size = page_size
        self.host = host
        self.state = _State(datasets=load_datasets())
        self.requests: list[RequestLog] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------
    def __enter__(self) -> "DcatCatalogue":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "DcatCatalogue":
        handler = type("Handler", (_Handler,), {"catalogue": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base(self) -> str:
        assert self._server is not None, "the catalogue is not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str = "/catalogue") -> str:
        return self.base + path

    def dataset_uri(self, slug: str) -> str:
        return f"{self.base}/dataset/{slug}"

    def live(self) -> list[dict[str, Any]]:
        return [d for d in self.state.datasets if d["slug"] not in self.state.deleted]

    def dataset(self, slug: str) -> dict[str, Any]:
        return next(d for d in self.state.datasets if d["slug"] == slug)

    def modify(self, slug: str, title: str, paragraph: str) -> None:
        """A new title (in the dataset's own language) and a new first paragraph of its
        documents; ``dct:modified`` becomes now."""
        with self._lock:
            d = self.dataset(slug)
            lang = next(iter(d["titles"]))
            d["titles"] = {**d["titles"], lang: title}
            d["text"] = [paragraph, *d.get("text", [])]
            d["modified"] = datetime.now(timezone.utc)

    def delete(self, slug: str) -> None:
        with self._lock:
            self.state.deleted.add(slug)

    def set_broken_dataset(self, on: bool) -> None:
        with self._lock:
            self.state.broken_dataset = on

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    # -- content -------------------------------------------------------------------------
    def page_graph(self, page: int, old_hydra: bool, path: str):
        from .dcat_graph import catalogue_graph

        with self._lock:
            live = self.live()
            broken = self.state.broken_dataset
        return catalogue_graph(self, live, page, old_hydra=old_hydra, path=path, broken=broken)

    def document(self, path: str) -> tuple[bytes, str] | None:
        kind, slug = _document_of(path)
        if kind is None:
            return None
        with self._lock:
            found = [d for d in self.live() if d["slug"] == slug]
        if not found:
            return None
        d = found[0]
        lang = next(iter(d["titles"]))
        title = d["titles"][lang]
        paragraphs = d.get("text") or [next(iter(d["descriptions"].values()))]
        if kind == "pdf":
            created = _as_datetime(d["issued"])
            return make_pdf(title, d["publisher"], paragraphs, created, lang=lang), \
                "application/pdf"
        if kind == "csv":
            return b"year,tonnes\n2023,120\n2024,135\n", "text/csv"
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                f"<title>{title}</title></head><body><main><h1>{title}</h1>{body}"
                f"<p>{d['publisher']}</p></main></body></html>")
        return html.encode("utf-8"), "text/html; charset=utf-8"


def _document_of(path: str) -> tuple[str | None, str]:
    for prefix, suffix, kind in (("/files/", ".pdf", "pdf"), ("/files/", ".csv", "csv"),
                                 ("/report/", ".html", "html"), ("/page/", ".html", "html")):
        if path.startswith(prefix) and path.endswith(suffix):
            return kind, path[len(prefix):-len(suffix)]
    return None, ""


def _as_datetime(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=timezone.utc)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def negotiate(accept: str | None) -> str:
    """The serialisation for an Accept header (Turtle when nothing better is asked)."""
    choices = []
    for i, part in enumerate((accept or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        choices.append((-q, i, bits[0].lower()))
    for _q, _i, mime in sorted(choices):
        for key, (_fmt, ctype) in _SERIAL.items():
            if mime == ctype or (key == "json-ld" and mime == "application/json"):
                return key
    return "turtle"


class _Handler(BaseHTTPRequestHandler):
    catalogue: DcatCatalogue
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        parsed = urlparse(self.path)
        try:
            found = self._content(parsed.path, parse_qs(parsed.query))
        except Exception as exc:  # noqa: BLE001 - a fixture bug shows as a 500
            found = (f"fixture error: {exc}".encode(), "text/plain", 500)
        body, ctype, status = found if found else (b"not found", "text/plain", 404)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        conditional = self.headers.get("If-None-Match") is not None
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        with self.catalogue._lock:
            self.catalogue.requests.append(RequestLog(self.path, status,
                                                      self.headers.get("Accept"), conditional))
        self.send_response(status)
        if status in (200, 304):
            self.send_header("ETag", etag)
            self.send_header("Vary", "Accept")
        if status != 304:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _content(self, path: str, query: dict[str, list[str]]):
        cat = self.catalogue
        page = int((query.get("page") or ["1"])[0])
        per_format = {"/catalogue.ttl": "turtle", "/catalogue.rdf": "xml",
                      "/catalogue.jsonld": "json-ld"}
        if path == "/catalogue" or path in per_format:
            key = per_format.get(path) or negotiate(self.headers.get("Accept"))
            g = cat.page_graph(page, old_hydra=path == "/catalogue.rdf", path=path)
            if g is None:
                return None
            fmt, ctype = _SERIAL[key]
            kwargs = {"context": dict(_PREFIXES),
                      "auto_compact": True} if key == "json-ld" else {}
            return g.serialize(format=fmt, encoding="utf-8", **kwargs), ctype, 200
        if path == "/":  # the portal's home page names its catalogue, as CKAN's pages do
            home = (b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    b"<title>Circular cities open data</title>"
                    b'<link rel="alternate" type="text/turtle" href="/catalogue.ttl">'
                    b"</head><body><h1>Circular cities open data</h1></body></html>")
            return home, "text/html; charset=utf-8", 200
        if path == "/broken.ttl":
            turtle = (b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<"
                      + cat.url("/dataset/x").encode()
                      + b'> a dcat:Dataset ;\n  dct:title "unclosed\n')
            return turtle, "text/turtle", 200
        if path == "/remote-context.jsonld":
            doc = ('{"@context": "' + cat.url("/context.jsonld") + '", "@id": "'
                   + cat.url("/catalogue") + '", "@type": "Catalog", "title": "Remote"}')
            return doc.encode(), "application/ld+json", 200
        if path == "/context.jsonld":
            return b'{"@context": {"@vocab": "http://www.w3.org/ns/dcat#"}}', \
                "application/ld+json", 200
        doc = cat.document(path)
        return (*doc, 200) if doc else None


def main() -> int:
    """``python -m ccp.fixtureweb.dcat``: serve the fixture catalogue until Ctrl-C."""
    with DcatCatalogue() as cat:
        for path in ("/catalogue", "/catalogue.ttl", "/catalogue.rdf", "/catalogue.jsonld"):
            print(cat.url(path), flush=True)
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopping.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
