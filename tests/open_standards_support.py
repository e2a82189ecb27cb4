"""Support for tests/test_open_standards.py: a sample portal with an event, a call, a dataset
and a hostile title (on SQLite or a fresh PostgreSQL database), real HTTP requests, an offline
JSON-LD document loader, and the check of an API answer against the OpenAPI description."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import jsonschema
import lxml.html
from pyld import jsonld
from referencing import Registry
from referencing import Resource as SchemaResource
from werkzeug.datastructures import MultiDict

from config.models import FeedSource
from config.settings import Settings
from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.indexing import drain
from search_ui.jsonld import resource_jsonld, script_json
from tests.browser_support import SOURCES, Portal, _res, sample_resources, utc
from tests.pg_support import PG_URL, pg_database  # noqa: F401 - the tests take them from here

S = "http://schema.org/"  # schema.org's own context maps terms to http://schema.org/
SCRIPT_TITLE = 'Closing </script><script>alert("ld")</script> & <!-- tricks'


def extra_resources():
    event = _res("https://www.berlin.de/circular-week", "Circular Week Berlin 2025", "de", "event",
                 utc(2025, 1, 10), body="Konferenz zur Kreislaufwirtschaft.",
                 summary="Eine Woche Kreislaufwirtschaft.", places=(("DE", "Berlin"),),
                 publisher="Berlin.de",
                 instances=(("berlin", "https://www.berlin.de/circular-week", "live"),))
    event.event_start = datetime(2025, 3, 3, 8, tzinfo=timezone.utc)
    event.event_end = datetime(2025, 3, 7, 16, tzinfo=timezone.utc)
    call = _res("https://urbact.eu/call-circular-cities", "Call for circular cities networks",
                "en", "funding", utc(2025, 2, 1), body="Cities may apply for funding.",
                themes=("circular-economy",), publisher="URBACT", licence="CC BY-SA 4.0",
                instances=(("urbact", "https://urbact.eu/call-circular-cities", "live"),))
    call.deadline = datetime(2030, 4, 30, 21, 59, 59, tzinfo=timezone.utc)
    data = _res("https://data.milano.it/rifiuti", "Rifiuti urbani di Milano", "it", "dataset",
                utc(2024, 5, 5), body="Dati sui rifiuti.", places=(("IT", "Milano"),),
                instances=(("milano", "https://data.milano.it/rifiuti", "live"),))
    script = _res("https://ecesp.example/script-title", SCRIPT_TITLE, "en", "guide",
                  utc(2024, 9, 9), body="A guide to circular design.",
                  instances=(("ecesp", "https://ecesp.example/script-title", "live"),))
    return [event, call, data, script]




def build_open_portal(data_dir, database_url: str | None = None) -> Portal:
    """The sample portal with an event, a call, a dataset and a hostile title; its catalogue
    on SQLite, or on ``database_url``."""
    settings = Settings.from_env({}, data_dir=data_dir)
    settings.database_url = database_url
    catalogue = Catalogue(settings.catalogue_url)
    catalogue.create_all()
    catalogue.sync_sources(
        FeedSource(id=sid, name=name, type="feed", url=f"https://{sid}.example/feed.xml",
                   country=country) for sid, (name, country) in SOURCES.items())
    resources = sample_resources() + extra_resources()
    for r in resources:
        catalogue.put_resource(r)
    backend = EmbeddedBackend(settings.index_dir)
    assert drain(catalogue, backend, raise_errors=True).applied == len(resources)
    return Portal(settings, catalogue, backend, resources)


# SQLite always; PostgreSQL too when CCP_TEST_DATABASE_URL names a server
def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) of a real HTTP request; errors are answers too."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def get(url: str, status: int = 200):
    code, headers, body = fetch(url)
    assert code == status, (url, code, body[:300])
    return headers, body


SCHEMA_CONTEXT = {"@context": {
    "@vocab": S,
    "schema": S,
    "url": {"@id": "schema:url", "@type": "@id"},
    "sameAs": {"@id": "schema:sameAs", "@type": "@id"},
    "license": {"@id": "schema:license", "@type": "@id"},
    "target": {"@id": "schema:target", "@type": "@id"},
}}
asked_for: list[str] = []


def offline_loader(url, options=None):
    """schema.org's context from here (the terms it gives IRIs: url, sameAs, license…);
    anything else is refused, so no test reaches the network."""
    asked_for.append(url)
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}
    raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")


def page_jsonld(base: str, rid: str) -> tuple[dict, list]:
    """The page's JSON-LD as written and as expanded by pyld."""
    _, body = get(f"{base}/resource/{rid}")
    doc = lxml.html.fromstring(body)
    scripts = doc.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1, f"{rid}: {len(scripts)} JSON-LD scripts"
    data = json.loads(scripts[0].text)
    return data, jsonld.expand(data, {"documentLoader": offline_loader})


def values(node: dict, prop: str) -> list:
    return [v.get("@value", v.get("@id")) for v in node.get(S + prop, [])]


def expand_node(r) -> dict:
    node = resource_jsonld(r, page_url="https://portal.example/resource/x",
                           portal_name="Portal", portal_url="https://portal.example/",
                           theme_label=str.title)
    return jsonld.expand(json.loads(str(script_json(node))),
                         {"documentLoader": offline_loader})[0]


class Recording(MultiDict):
    """Request arguments that remember every name asked for."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        self.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self.asked.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def arguments_read_by(parse) -> set[str]:
    args = Recording()
    parse(args)
    return args.asked


def check(spec: dict, path: str, status: int, url: str) -> object:
    """A real answer, checked against the description's schema for this path and status."""
    code, headers, body = fetch(url)
    assert code == status, (url, code, body[:300])
    content = spec["paths"][path]["get"]["responses"][str(status)]["content"]
    assert headers.get_content_type() in content, (url, headers.get_content_type())
    schema = content[headers.get_content_type()]["schema"]
    registry = Registry().with_resource("urn:api", SchemaResource.from_contents(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **spec},
    ))
    data = json.loads(body)
    jsonschema.Draft202012Validator(
        {"$ref": "urn:api#/components/schemas/" + schema["$ref"].rsplit("/", 1)[-1]}
        if "$ref" in schema else schema,
        registry=registry, format_checker=jsonschema.FormatChecker(),
    ).validate(data)
    return data
