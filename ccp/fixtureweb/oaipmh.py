"""A fixture OAI-PMH 2.0 provider on 127.0.0.1 (port 0), built on the ``oaipmh`` provider
library (the maintained fork of pyoai): the protocol (verbs, arguments, errors, resumption
tokens, from/until) is the library's, only the repository and its switches are ours.

The repository holds the records of :mod:`.oaipmh_records` in the sets ``reports``,
``guides``, ``policy`` and ``cities``, with a small page size so that resumption tokens are
used, one deleted record from the start, and each record's landing page (HTML) or PDF on the
same server. Tests change it while it runs: :meth:`OaiPmhProvider.update`, :meth:`add`,
:meth:`delete`; and make it misbehave: :meth:`busy` (503 with Retry-After), :meth:`break_next`
(a broken answer), :meth:`expire_tokens` (badResumptionToken).

>>> with OaiPmhProvider() as p:          # doctest: +SKIP
...     p.base_url
'http://127.0.0.1:40123/oai'
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from oaipmh import common, error
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import Server, oai_dc_writer

from .oaipmh_records import CC_BY, RECORDS
from .pdf import make_pdf

__all__ = ["OaiPmhProvider", "FixtureRecord", "SETS"]

SETS = {"reports": "Reports and studies", "guides": "Guides and toolkits",
        "policy": "Policies and strategies", "cities": "City practice"}
ID_PREFIX = "oai:circular-repository.test:"
EARLIEST = datetime(2019, 1, 1)
OAI_DC = ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
          "http://www.openarchives.org/OAI/2.0/oai_dc/")


def _naive_utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)


@dataclass
class FixtureRecord:
    slug: str
    sets: tuple[str, ...]
    datestamp: datetime  # naive UTC, as the library wants it
    kind: str  # "html" | "pdf": what its dc:identifier links to
    dc: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False

    @property
    def identifier(self) -> str:
        return ID_PREFIX + self.slug

    @property
    def title(self) -> str:
        return self.dc["title"][0]


class _Repository:
    """The IOAI interface the library's Server asks."""

    def __init__(self, provider: "OaiPmhProvider"):
        self.p = provider

    def identify(self):
        return common.Identify(
            repositoryName="Circular Cities Repository (fixture)", baseURL=self.p.base_url,
            protocolVersion="2.0", adminEmails=["repository@circular-repository.test"],
            earliestDatestamp=EARLIEST, deletedRecord="persistent",
            granularity=self.p.granularity, compression=["identity"])

    def listMetadataFormats(self, identifier=None):  # noqa: N802 - the library's names
        if identifier is not None and self.p.find(identifier) is None:
            raise error.IdDoesNotExistError(f"no record {identifier}")
        return [OAI_DC]

    def listSets(self):  # noqa: N802
        return [(spec, name, None) for spec, name in SETS.items()]

    def _entry(self, rec: FixtureRecord):
        header = common.Header(None, rec.identifier, rec.datestamp, list(rec.sets), rec.deleted)
        metadata = None if rec.deleted else common.Metadata(None, rec.dc)
        return header, metadata, None

    def _selected(self, metadataPrefix, set=None, from_=None, until=None):  # noqa: N803, A002
        if metadataPrefix != "oai_dc":
            raise error.CannotDisseminateFormatError(f"unknown metadataPrefix {metadataPrefix}")
        if set is not None and set not in SETS:
            return []
        out = []
        for rec in self.p.snapshot():
            if set is not None and set not in rec.sets:
                continue
            if from_ is not None and rec.datestamp < from_:
                continue
            if until is not None and rec.datestamp > until:
                continue
            out.append(rec)
        return sorted(out, key=lambda r: (r.datestamp, r.slug))

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None):  # noqa: N802,N803,A002
        return [self._entry(r) for r in self._selected(metadataPrefix, set, from_, until)]

    def listIdentifiers(self, metadataPrefix, set=None, from_=None,  # noqa: N802,N803,A002
                        until=None):
        return [self._entry(r)[0] for r in self._selected(metadataPrefix, set, from_, until)]

    def getRecord(self, metadataPrefix, identifier):  # noqa: N802,N803
        if metadataPrefix != "oai_dc":
            raise error.CannotDisseminateFormatError(f"unknown metadataPrefix {metadataPrefix}")
        rec = self.p.find(identifier)
        if rec is None:
            raise error.IdDoesNotExistError(f"no record {identifier}")
        return self._entry(rec)


class OaiPmhProvider:
    """The fixture provider; ``base_url`` is its OAI-PMH base URL once started."""

    def __init__(self, page_size: int = 4, granularity: str = "YYYY-MM-DDThh:mm:ssZ"):
        self.granularity = granularity
        self.lock = threading.RLock()
        self.records: dict[str, FixtureRecord] = {}
        self.requests: list[dict[str, str]] = []  # the OAI arguments of every request
        self._busy: list[float] = []  # Retry-After of the next busy answers
        self._broken: list[tuple[str, bytes]] = []  # (argument text to match, body)
        self._expire = 0
        self._failing: dict[str, int] = {}  # slug → answers of 500 still to give
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.base_url = f"{self.base}/oai"
        registry = MetadataRegistry()
        registry.registerWriter("oai_dc", oai_dc_writer)
        self.oai = Server(_Repository(self), registry, resumption_batch_size=page_size)
        self._thread: threading.Thread | None = None
        for n, row in enumerate(RECORDS):
            self._load(row, EARLIEST + timedelta(days=40 * n, hours=n))
        # one record withdrawn by the repository before anyone harvested it
        self.records["athens-plastic-free-islands"].deleted = True

    # -- content -------------------------------------------------------------------------------
    def _load(self, row: tuple, datestamp: datetime) -> FixtureRecord:
        (slug, sets, lang, typ, date, kind, title, description, creators, subjects,
         publisher) = row
        link = f"{self.base}/files/{slug}.pdf" if kind == "pdf" else f"{self.base}/records/{slug}"
        rec = FixtureRecord(slug, tuple(sets), datestamp, kind, dc={
            "title": [title], "creator": list(creators), "subject": list(subjects),
            "description": [description], "publisher": [publisher], "date": [date],
            "type": [typ], "format": ["application/pdf" if kind == "pdf" else "text/html"],
            "identifier": [ID_PREFIX.replace("oai:", "urn:") + slug, link],
            "language": [lang], "rights": [CC_BY]})
        with self.lock:
            self.records[slug] = rec
        return rec

    def snapshot(self) -> list[FixtureRecord]:
        with self.lock:
            return list(self.records.values())

    def find(self, identifier: str) -> FixtureRecord | None:
        with self.lock:
            return self.records.get(identifier.removeprefix(ID_PREFIX))

    def live(self) -> list[FixtureRecord]:
        return [r for r in self.snapshot() if not r.deleted]

    def update(self, slug: str, **dc: str) -> FixtureRecord:
        """Change a record's Dublin Core (``title="…"``); its datestamp becomes now."""
        with self.lock:
            rec = self.records[slug]
            for name, value in dc.items():
                rec.dc[name] = [value]
            rec.datestamp = _naive_utc_now()
            return rec

    def add(self, slug: str, title: str, description: str, sets=("reports",),
            language: str = "en", kind: str = "html") -> FixtureRecord:
        row = (slug, sets, language, "report", _naive_utc_now().date().isoformat(), kind,
               title, description, ("Fixture Author",), ("circular economy",),
               "Circular Cities Repository")
        return self._load(row, _naive_utc_now())

    def add_empty(self, slug: str, sets=("reports",)) -> FixtureRecord:
        """A record whose metadata holds no Dublin Core element at all (a broken export)."""
        rec = FixtureRecord(slug, tuple(sets), _naive_utc_now(), "html", dc={})
        with self.lock:
            self.records[slug] = rec
        return rec

    def delete(self, slug: str) -> FixtureRecord:
        with self.lock:
            rec = self.records[slug]
            rec.deleted = True
            rec.datestamp = _naive_utc_now()
            return rec

    # -- misbehaviour --------------------------------------------------------------------------
    def busy(self, retry_after: float = 1, times: int = 1) -> None:
        """The next ``times`` OAI requests answer 503 with ``Retry-After: retry_after``."""
        with self.lock:
            self._busy.extend([retry_after] * times)

    def break_next(self, match: str = "resumptionToken",
                   body: bytes = b"<?xml version='1.0'?><OAI-PMH><ListRecords><record>") -> None:
        """The next OAI request whose arguments contain ``match`` gets ``body`` (broken XML)."""
        with self.lock:
            self._broken.append((match, body))

    def fail_page(self, slug: str, times: int = 1) -> None:
        """The record's landing page (or PDF) answers 500 the next ``times`` times."""
        with self.lock:
            self._failing[slug] = self._failing.get(slug, 0) + times

    def expire_tokens(self, times: int = 1) -> None:
        """The next ``times`` requests with a resumption token answer badResumptionToken."""
        with self.lock:
            self._expire += times

    # -- HTTP ----------------------------------------------------------------------------------
    def answer(self, query: str) -> tuple[int, dict[str, str], bytes]:
        args = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append(dict(args))
            if self._busy:
                wait = self._busy.pop(0)
                return 503, {"Retry-After": f"{wait:g}", "Content-Type": "text/plain"}, \
                    b"The repository is busy, come back later.\n"
            for i, (match, body) in enumerate(self._broken):
                if match in query:
                    del self._broken[i]
                    return 200, {"Content-Type": "text/xml; charset=utf-8"}, body
            if self._expire and "resumptionToken" in args:
                self._expire -= 1
                args["resumptionToken"] = "expired"  # the library refuses it as it should
            body = self.oai.handleRequest(args)
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, body

    def page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        slug = path.rsplit("/", 1)[-1].removesuffix(".pdf")
        with self.lock:
            rec = self.records.get(slug)
            if self._failing.get(slug):
                self._failing[slug] -= 1
                return 500, {"Content-Type": "text/plain"}, b"Internal error\n"
        if rec is None or rec.deleted or not path.startswith(("/records/", "/files/")):
            return 404, {"Content-Type": "text/plain"}, b"Not found\n"
        dc = rec.dc
        lang = dc["language"][0]
        if rec.kind == "pdf" and path.startswith("/files/"):
            body = make_pdf(rec.title, "; ".join(dc["creator"]),
                            [dc["description"][0], "Keywords: " + ", ".join(dc["subject"])],
                            rec.datestamp.replace(tzinfo=timezone.utc))
            return 200, {"Content-Type": "application/pdf"}, body
        esc = html.escape
        doc = (f"<!DOCTYPE html><html lang=\"{esc(lang[:2])}\"><head><meta charset=\"utf-8\">"
               f"<title>{esc(rec.title)}</title>"
               f"<meta name=\"description\" content=\"{esc(dc['description'][0])}\"></head>"
               f"<body><header><a href=\"/\">Circular Cities Repository</a></header><main>"
               f"<article><h1>{esc(rec.title)}</h1><p>{esc(', '.join(dc['creator']))}</p>"
               f"<p>{esc(dc['description'][0])}</p>"
               f"<p>{esc(' · '.join(dc['subject']))}</p></article></main></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, doc.encode("utf-8")

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                parts = urlsplit(self.path)
                if parts.path == "/oai":
                    status, headers, body = provider.answer(parts.query)
                else:
                    status, headers, body = provider.page(parts.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def start(self) -> "OaiPmhProvider":
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True,
                                            name="fixture-oaipmh")
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "OaiPmhProvider":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
