"""The XML of the OAI-PMH provider: the response envelope, headers, ``oai_dc`` records.

Everything is built with lxml in the protocol's namespaces, with the schema locations the
protocol names; text from harvested pages is cleared of the characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from lxml import etree

from indexer.catalogue import OaiHeader
from indexer.resource import Resource

from .oai_tokens import datestamp

__all__ = [
    "DC", "OAI", "OAI_DC", "OAI_IDENTIFIER", "SCHEMA_OAI", "SCHEMA_OAI_DC", "XSI", "Envelope",
    "dc_record", "element", "header_element", "serialise",
]

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_OAI = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
SCHEMA_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SCHEMA_OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

_XSI_LOCATION = f"{{{XSI}}}schemaLocation"
# characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# the DCMI Type Vocabulary term of each resource type (Text for the rest)
_DCMI_TYPES = {"event": "Event", "dataset": "Dataset"}
_MIME = {"html": "text/html", "pdf": "application/pdf"}


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def element(parent: etree._Element, tag: str, text: str | None = None, **attrib: str
         ) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrib.items()})
    if text is not None:
        el.text = clean(text)
    return el


class Envelope:
    """One response: ``responseDate``, ``request`` and the verb's element (or errors)."""

    def __init__(self, now: datetime, base_url: str, args: Mapping[str, str] | None):
        self.root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
        self.root.set(_XSI_LOCATION, f"{OAI} {SCHEMA_OAI}")
        element(self.root, f"{{{OAI}}}responseDate", datestamp(now))
        # the request's arguments are echoed only when they were valid (no badVerb/badArgument)
        element(self.root, f"{{{OAI}}}request", base_url, **dict(args or {}))

    def verb(self, name: str) -> etree._Element:
        return element(self.root, f"{{{OAI}}}{name}")

    def error(self, code: str, message: str) -> None:
        element(self.root, f"{{{OAI}}}error", message, code=code)


def serialise(envelope: Envelope) -> bytes:
    return etree.tostring(envelope.root, xml_declaration=True, encoding="UTF-8")


def header_element(parent: etree._Element, h: OaiHeader, identifier: str) -> etree._Element:
    header = element(parent, f"{{{OAI}}}header", **({"status": "deleted"} if h.deleted else {}))
    element(header, f"{{{OAI}}}identifier", identifier)
    element(header, f"{{{OAI}}}datestamp", datestamp(h.stamp))
    for spec in set_specs(h):
        element(header, f"{{{OAI}}}setSpec", spec)
    return header


def set_specs(h: OaiHeader) -> list[str]:
    specs = [f"type:{h.type}"] if h.type else []
    return specs + [f"theme:{t}" for t in h.themes]


def _w3c_date(when: datetime) -> str:
    """A date as W3CDTF: the day alone at midnight UTC, else the time to the second."""
    if (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.strftime("%Y-%m-%d")
    return datestamp(when)


def _description(r: Resource, limit: int = 600) -> str | None:
    text = (r.summary or "").strip()
    if text:
        return text
    body = " ".join((r.body or "").split())
    if len(body) <= limit:
        return body or None
    cut = body[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _identifiers(r: Resource, page_url: str) -> list[str]:
    """The resource's URL first, its other live instances, the gone ones, the portal's page."""
    ordered = sorted(r.instances, key=lambda i: i.status != "live")
    urls = [r.url, *(i.url for i in ordered), page_url]
    return [u for u in dict.fromkeys(urls) if u and u.startswith(("http://", "https://"))]


def dc_record(parent: etree._Element, r: Resource, page_url: str,
              labels: Mapping[tuple[str, str], str]) -> etree._Element:
    """``oai_dc:dc`` of resource ``r``; ``labels`` maps ("theme"|"type", key) to a label."""
    dc = etree.SubElement(parent, f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    dc.set(_XSI_LOCATION, f"{OAI_DC} {SCHEMA_OAI_DC}")

    def add(name: str, values: Iterable[str | None]) -> None:
        for v in values:
            if v and clean(v).strip():
                element(dc, f"{{{DC}}}{name}", v.strip())

    when = r.published or r.updated
    add("title", [r.title])
    add("creator", r.authors)
    add("subject", [labels.get(("theme", t), t) for t in r.themes])
    add("description", [_description(r)])
    add("publisher", [r.publisher])
    add("date", [_w3c_date(when) if when else None])
    add("type", [labels.get(("type", r.type), r.type), _DCMI_TYPES.get(r.type, "Text")])
    add("format", [_MIME.get(r.format, r.format)])
    add("identifier", _identifiers(r, page_url))
    add("language", [r.language])
    regions = sorted({p.name for p in r.places if getattr(p, "kind", None) == "region" and p.name})
    add("coverage", [*r.cities, *regions, *r.countries])
    add("rights", [r.licence])
    return dc


def identify_description(parent: etree._Element, host: str, sample: str) -> None:
    """The oai-identifier description: how this repository's identifiers are made."""
    desc = element(parent, f"{{{OAI}}}description")
    ident = etree.SubElement(desc, f"{{{OAI_IDENTIFIER}}}oai-identifier",
                             nsmap={None: OAI_IDENTIFIER, "xsi": XSI})
    ident.set(_XSI_LOCATION, f"{OAI_IDENTIFIER} {SCHEMA_OAI_IDENTIFIER}")
    for tag, text in (("scheme", "oai"), ("repositoryIdentifier", host), ("delimiter", ":"),
                      ("sampleIdentifier", sample)):
        element(ident, f"{{{OAI_IDENTIFIER}}}{tag}", text)


def set_description(parent: etree._Element, text: str) -> None:
    """A set's one-line description, as the protocol wants it: in oai_dc."""
    desc = element(parent, f"{{{OAI}}}setDescription")
    dc = etree.SubElement(desc, f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    dc.set(_XSI_LOCATION, f"{OAI_DC} {SCHEMA_OAI_DC}")
    element(dc, f"{{{DC}}}description", text)
