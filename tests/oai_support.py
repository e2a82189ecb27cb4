"""What the OAI-PMH provider tests (tests/test_oai_provider.py) share: the sample portal
(on PostgreSQL when CCP_TEST_DATABASE_URL names a server), one request with the checks every
response must pass, and the protocol's structure checked element by element."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from lxml import etree
from sickle import Sickle

from config.models import FeedSource
from config.settings import Settings
from config.taxonomy import taxonomy_labels
from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.indexing import drain
from indexer.resource import Resource
from tests.browser_support import SOURCES, Portal, build_portal, sample_resources
from tests.pg_support import PG_URL, create_pg_database, drop_pg_database

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"o": OAI, "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
HOST = "circular.example.eu"
START = datetime(2025, 3, 1, tzinfo=timezone.utc)
REMOVED_AT = START + timedelta(hours=5, minutes=30)


@dataclass
class Served:
    portal: Portal
    base: str  # the portal's address
    stamps: dict[str, datetime]  # resource id -> datestamp
    removed: Resource  # deleted from the catalogue: only its id is left

    @property
    def oai(self) -> str:
        return f"{self.base}/oai"

    def ident(self, rid: str) -> str:
        return f"oai:{HOST}:{rid}"

    @property
    def kept(self) -> list[Resource]:
        return [r for r in self.portal.resources if r.id != self.removed.id]


def make_portal(data_dir: Path, resources: list[Resource] | None = None) -> Portal:
    """build_portal's sample portal, on PostgreSQL when CCP_TEST_DATABASE_URL names a server."""
    if not PG_URL:
        return build_portal(data_dir, resources)
    settings = Settings.from_env({}, data_dir=data_dir)
    settings.database_url = create_pg_database(PG_URL)
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    cat.sync_sources(FeedSource(id=sid, name=name, type="feed", url=f"https://{sid}.example/f",
                                country=country) for sid, (name, country) in SOURCES.items())
    resources = sample_resources() if resources is None else resources
    for r in resources:
        cat.put_resource(r)
    backend = EmbeddedBackend(settings.index_dir)
    drain(cat, backend, raise_errors=True)
    return Portal(settings, cat, backend, resources)


def close_portal(portal: Portal) -> None:
    portal.close()
    if PG_URL:
        drop_pg_database(PG_URL, portal.settings.database_url)




class CountingSickle(Sickle):
    """Sickle that counts its HTTP requests (each page of a list is one)."""

    requests = 0

    def harvest(self, **kwargs):
        self.requests += 1
        return super().harvest(**kwargs)


def ask(served: Served, method: str = "GET", **args) -> etree._Element:
    """One OAI-PMH request; the response's root after the checks every response must pass."""
    send = requests.get if method == "GET" else requests.post
    resp = send(served.oai, **({"params": args} if method == "GET" else {"data": args}),
                timeout=10)
    assert resp.status_code == 200, f"{served.oai} answered {resp.status_code}"
    assert resp.headers["Content-Type"].startswith("text/xml")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    root = etree.fromstring(resp.content)
    assert root.tag == f"{{{OAI}}}OAI-PMH"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == \
        f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    when = root.findtext("o:responseDate", namespaces=NS)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when)
    assert root[0].tag == f"{{{OAI}}}responseDate" and root[1].tag == f"{{{OAI}}}request"
    assert root.findtext("o:request", namespaces=NS) == served.oai
    return root


def error_of(root: etree._Element) -> tuple[str, dict[str, str]] | None:
    err = root.find("o:error", NS)
    return None if err is None else (err.get("code"), dict(root.find("o:request", NS).attrib))


def expected_dc(served: Served, r: Resource) -> dict[str, set[str]]:
    out = {
        "title": {r.title},
        "language": {r.language},
        "date": {r.published.date().isoformat()},
        "type": {taxonomy_labels("type", r.type)["en"]},
        "subject": {taxonomy_labels("theme", t)["en"] for t in r.themes},
        "coverage": set(r.cities) | set(r.countries),
        "identifier": {i.url for i in r.instances if i.url.startswith("http")}
        | {f"{served.base}/resource/{r.id}"},
    }
    for key, value in (("publisher", r.publisher), ("rights", r.licence)):
        if value:
            out[key] = {value}
    return {k: v for k, v in out.items() if v}


# The protocol's structure (OAI-PMH 2.0, section 3 and 4), checked element by element: which
# children each element has, in which order, and the forms of datestamps and setSpecs.
DC_ELEMENTS = {"title", "creator", "subject", "description", "publisher", "contributor", "date",
               "type", "format", "identifier", "source", "language", "relation", "coverage",
               "rights"}
SEQUENCES = {  # element: its children's names, as a regular expression over "name " words
    "OAI-PMH": r"responseDate request (error )+|responseDate request (Identify|ListMetadataFormats"
               r"|ListSets|ListIdentifiers|ListRecords|GetRecord) ",
    "Identify": r"repositoryName baseURL protocolVersion (adminEmail )+earliestDatestamp "
                r"deletedRecord granularity (compression )*(description )*",
    "ListMetadataFormats": r"(metadataFormat )+",
    "metadataFormat": r"metadataPrefix schema metadataNamespace ",
    "ListSets": r"(set )+(resumptionToken )?",
    "set": r"setSpec setName (setDescription )*",
    "ListIdentifiers": r"(header )+(resumptionToken )?",
    "ListRecords": r"(record )+(resumptionToken )?",
    "GetRecord": r"record ",
    "record": r"header (metadata )?(about )*",
    "header": r"identifier datestamp (setSpec )*",
}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SET_SPEC = re.compile(r"[A-Za-z0-9_.!~*'()-]+(:[A-Za-z0-9_.!~*'()-]+)*")


def check_structure(el: etree._Element) -> None:
    name = etree.QName(el).localname
    if name in SEQUENCES:
        kids = [k for k in el if isinstance(k.tag, str)]
        assert all(etree.QName(k).namespace == OAI for k in kids), name
        words = "".join(etree.QName(k).localname + " " for k in kids)
        assert re.fullmatch(SEQUENCES[name], words), f"{name}: {words}"
        for k in kids:
            check_structure(k)
    if name == "header":
        assert el.get("status") in (None, "deleted")
        assert STAMP.fullmatch(el.findtext("o:datestamp", namespaces=NS))
        assert all(SET_SPEC.fullmatch(s.text) for s in el.findall("o:setSpec", NS))
    if name == "record":
        assert (el.find("o:metadata", NS) is None) == (el.find("o:header", NS).get("status")
                                                       == "deleted")
    if name == "metadata":
        (dc,) = el
        assert dc.tag == f"{{{NS['oai_dc']}}}dc"
        assert dc.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == \
            f"{NS['oai_dc']} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
        for k in dc:
            assert etree.QName(k).namespace == NS["dc"] and etree.QName(k).localname in \
                DC_ELEMENTS and k.text and len(k) == 0, etree.tostring(k)
    if name == "resumptionToken":
        assert int(el.get("cursor")) >= 0 and int(el.get("completeListSize")) > 0
        assert el.text is None or STAMP.fullmatch(el.get("expirationDate"))

