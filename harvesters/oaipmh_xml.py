"""OAI-PMH 2.0 answers → plain data (never I/O): the envelope, its errors, Identify, ListSets
and ListRecords pages with their records and resumption token.

Every answer is parsed with a parser that expands no entity, reads no DTD and fetches nothing
from the network, with lxml's limits on huge documents kept on. Something that is not XML, or
XML that is not an OAI-PMH envelope, raises :class:`NotOaiPmh` with the cause. A record that
cannot be read is one problem of its page (``OaiPage.problems``), never the end of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_O = f"{{{OAI_NS}}}"

# the error codes of the protocol (section 3.6)
NO_RECORDS_MATCH = "noRecordsMatch"
BAD_RESUMPTION_TOKEN = "badResumptionToken"
CANNOT_DISSEMINATE = "cannotDisseminateFormat"
BAD_ARGUMENT = "badArgument"
NO_SET_HIERARCHY = "noSetHierarchy"


class NotOaiPmh(ValueError):
    """The bytes are not an OAI-PMH answer (not XML, or another kind of XML)."""


def _parser() -> etree.XMLParser:
    # a new parser per answer: lxml parsers are not shareable between threads
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def parse_envelope(body: bytes) -> etree._Element:
    """The root ``OAI-PMH`` element of an answer; :class:`NotOaiPmh` when it is none."""
    if not body or not body.strip():
        raise NotOaiPmh("the answer is empty")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise NotOaiPmh(f"the answer is not well-formed XML ({exc})") from None
    if root is None:
        raise NotOaiPmh("the answer holds no XML element")
    # entities are never expanded: a reference stays a node of its own, dropped here
    etree.strip_elements(root, etree.Entity, with_tail=False)
    if root.tag != f"{_O}OAI-PMH":
        raise NotOaiPmh(f"the answer is XML but not OAI-PMH 2.0 (its root is "
                        f"<{etree.QName(root).localname}>)")
    return root


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def errors_of(root: etree._Element) -> list[tuple[str, str]]:
    """(code, message) of every ``<error>`` in the envelope."""
    return [(e.get("code") or "unknown", _text(e)) for e in root.findall(f"{_O}error")]


def response_date(root: etree._Element) -> str | None:
    return _text(root.find(f"{_O}responseDate")) or None


@dataclass
class Identify:
    repository_name: str = ""
    base_url: str = ""
    protocol_version: str = ""
    granularity: str = "YYYY-MM-DD"
    earliest_datestamp: str | None = None
    deleted_record: str = "no"  # no | transient | persistent

    @property
    def seconds(self) -> bool:
        """Whether ``from``/``until`` may carry a time of day."""
        return "hh" in self.granularity


def parse_identify(root: etree._Element) -> Identify:
    el = root.find(f"{_O}Identify")
    if el is None:
        raise NotOaiPmh("the answer to Identify has no <Identify> element")

    def get(name: str) -> str:
        return _text(el.find(f"{_O}{name}"))

    return Identify(repository_name=get("repositoryName"), base_url=get("baseURL"),
                    protocol_version=get("protocolVersion"),
                    granularity=get("granularity") or "YYYY-MM-DD",
                    earliest_datestamp=get("earliestDatestamp") or None,
                    deleted_record=get("deletedRecord") or "no")


def parse_sets(root: etree._Element) -> tuple[list[tuple[str, str]], str | None]:
    """(setSpec, setName) pairs of a ListSets answer, and its resumption token."""
    el = root.find(f"{_O}ListSets")
    if el is None:
        return [], None
    sets = [(_text(s.find(f"{_O}setSpec")), _text(s.find(f"{_O}setName")))
            for s in el.findall(f"{_O}set")]
    return [s for s in sets if s[0]], _token(el)


@dataclass
class DcValue:
    """One Dublin Core statement: its text (or the resource it points to) and its language."""

    value: str
    lang: str | None = None


@dataclass
class OaiRecord:
    identifier: str
    datestamp: str = ""
    sets: list[str] = field(default_factory=list)
    deleted: bool = False
    # Dublin Core elements and terms by local name ("title", "abstract", …); each list in
    # document order, the dc: and dcterms: statements of one name together
    dc: dict[str, list[DcValue]] = field(default_factory=dict)
    has_metadata: bool = False

    def values(self, *names: str) -> list[str]:
        return [v.value for n in names for v in self.dc.get(n, ())]

    def first(self, *names: str) -> str | None:
        vals = self.values(*names)
        return vals[0] if vals else None


@dataclass
class OaiPage:
    """One ListRecords answer."""

    response_date: str | None
    records: list[OaiRecord]
    token: str | None  # the resumption token; None or "" at the end of the list
    complete_list_size: int | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (identifier, why)


def _token(el: etree._Element) -> str | None:
    t = el.find(f"{_O}resumptionToken")
    return (t.text or "").strip() if t is not None else None


def parse_list_records(root: etree._Element) -> OaiPage:
    el = root.find(f"{_O}ListRecords")
    if el is None:
        raise NotOaiPmh("the answer to ListRecords has neither records nor an error")
    page = OaiPage(response_date=response_date(root), records=[], token=_token(el))
    t = el.find(f"{_O}resumptionToken")
    if t is not None and (t.get("completeListSize") or "").isdigit():
        page.complete_list_size = int(t.get("completeListSize"))
    for n, rec in enumerate(el.findall(f"{_O}record"), 1):
        ident = _text(rec.find(f"{_O}header/{_O}identifier")) or None
        try:
            page.records.append(_record(rec))
        except ValueError as exc:
            page.problems.append((ident, f"record {n} of this page cannot be read: {exc}"))
    return page


def parse_get_record(root: etree._Element) -> OaiRecord:
    """The record of a GetRecord answer; ValueError when it cannot be read."""
    rec = root.find(f"{_O}GetRecord/{_O}record")
    if rec is None:
        raise NotOaiPmh("the answer to GetRecord has neither a record nor an error")
    return _record(rec)


def _record(rec: etree._Element) -> OaiRecord:
    header = rec.find(f"{_O}header")
    if header is None:
        raise ValueError("it has no <header>")
    ident = _text(header.find(f"{_O}identifier"))
    if not ident:
        raise ValueError("its header has no <identifier>")
    out = OaiRecord(identifier=ident, datestamp=_text(header.find(f"{_O}datestamp")),
                    sets=[_text(s) for s in header.findall(f"{_O}setSpec") if _text(s)],
                    deleted=header.get("status") == "deleted")
    if out.deleted:
        return out
    meta = rec.find(f"{_O}metadata")
    if meta is None:
        raise ValueError(f"the record {ident} has no <metadata> and is not marked deleted")
    out.has_metadata = True
    for el in meta.iter(etree.Element):
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace not in (DC_NS, DCTERMS_NS):
            continue
        value = _text(el) or (el.get(f"{{{RDF_NS}}}resource") or "").strip()
        if value:
            lang = (el.get(XML_LANG) or "").strip() or None
            out.dc.setdefault(q.localname, []).append(DcValue(value, lang))
    return out


# -- datestamps ---------------------------------------------------------------------------------
def parse_datestamp(value: str | None) -> datetime | None:
    """A UTC datestamp of the protocol (``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``)."""
    if not value:
        return None
    v = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(v, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    try:  # some providers write an offset instead of Z
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def format_datestamp(when: datetime, seconds: bool) -> str:
    """``when`` (UTC) written in the provider's granularity."""
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if seconds else when.strftime("%Y-%m-%d")


def from_argument(cursor: str | None, overlap: timedelta, seconds: bool) -> str | None:
    """The ``from`` of an incremental listing: the cursor (the responseDate of the last listing
    read in full) minus ``overlap``, in the provider's granularity; None for a full listing."""
    when = parse_datestamp(cursor)
    if when is None:
        return None
    return format_datestamp(when - overlap, seconds)
