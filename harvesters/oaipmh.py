"""The ``oai-pmh`` source type: harvesting an OAI-PMH 2.0 provider, as RecordManager and
VuFind do.

``Identify`` first (granularity, deleted-record support), then ``ListRecords`` with the
source's ``metadataPrefix`` for each configured set (or the whole repository), following
``resumptionToken`` to the end of the list. The first listing is full; later ones ask only
``from`` the provider's ``responseDate`` of the last listing read in full, minus a small
overlap (the cursor, kept per listing beside the conditional-GET validators): what did not
change is never read again. A listing cut short (a broken answer, ``max_items``) keeps its old
cursor, so the next run asks again from there.

Each record: ``status="deleted"`` → its instance is withdrawn at once (the OAI identifier is
the instance's guid); a live one → :class:`~indexer.resource.Hints` from its Dublin Core, and
either its http(s) ``dc:identifier`` (landing page or PDF) is fetched through the normal
document pipeline (``fetch_pages``), or the record's description is the text. A record that
cannot be read is that record's error; the listing goes on.

Protocol errors: ``noRecordsMatch`` is an empty list; ``badResumptionToken`` restarts the
listing once; ``cannotDisseminateFormat``, ``badArgument`` and the rest fail the source with
one line naming the URL. A 503/429 with ``Retry-After`` is waited for (up to
:data:`MAX_RETRY_AFTER` s, reported) and asked again, at most :data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

from scrapy.http import Response

from config.models import OaiPmhSource
from indexer.resource import Hints

from .http import describe_failure, retry_after_seconds
from .oaipmh_dc import record_hints, web_identifiers
from .oaipmh_xml import (
    BAD_ARGUMENT,
    BAD_RESUMPTION_TOKEN,
    CANNOT_DISSEMINATE,
    NO_RECORDS_MATCH,
    NO_SET_HIERARCHY,
    Identify,
    NotOaiPmh,
    OaiRecord,
    errors_of,
    from_argument,
    parse_envelope,
    parse_identify,
    parse_get_record,
    parse_list_records,
    response_date,
)
from .spiderbase import SourceSpider, requested_url

__all__ = ["OaiPmhSpider", "listing_key", "verb_url"]

log = logging.getLogger(__name__)

# re-read what changed shortly before the last listing (records committed late, clocks)
OVERLAP = timedelta(minutes=15)
MAX_RETRY_AFTER = 120.0  # the longest wait honoured inside a run
MAX_ATTEMPTS = 5  # tries of one protocol request (the first and the retries)
_BUSY = (429, 503)
_ERRORS = (500, 502, 504)
# providers that answer a protocol error with an HTTP error status still send the envelope
_ENVELOPE_STATUSES = (400, 404, 422)


def verb_url(base: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base}{'&' if '?' in base else '?'}{query}"


def listing_key(source: OaiPmhSource, set_spec: str | None) -> str:
    """Where a listing's cursor is kept (a key of the source's conditional-GET state)."""
    return verb_url(str(source.url), verb="ListRecords", metadataPrefix=source.metadata_prefix,
                    set=set_spec) + f"#ccp-cursor-{source.id}"


class OaiPmhSpider(SourceSpider):
    """Identify → ListRecords per set, resumption tokens, deletions, incremental."""

    custom_settings = {"WARN_ON_GENERATOR_RETURN_VALUE": False}
    source: OaiPmhSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.base = str(source.url)
        self.identify = Identify()
        self.withdrawn = 0
        self.incremental = False  # some listing asked only from= its cursor

    # -- requests ----------------------------------------------------------------------------
    def oai_request(self, url: str, callback, *, root: bool = False, meta=None):
        m = {"dont_retry": True,
             "handle_httpstatus_list": [304, *_BUSY, *_ERRORS, *_ENVELOPE_STATUSES],
             "ccp_oai": True, "ccp_attempt": 1, **(meta or {})}
        return self.make_request(url, callback, conditional=False, root=root, meta=m)

    async def start(self):
        yield self.oai_request(verb_url(self.base, verb="Identify"), self.parse_identify,
                               root=True)

    def _again(self, response: Response, what: str):
        """The same request after the wait the provider asks for; None when it asks too much
        or too often (the source has then failed)."""
        request, status = response.request, response.status
        attempt = request.meta.get("ccp_attempt", 1)
        header = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(header)
        url = requested_url(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            self._fail(response, "http", f"HTTP {status} (Retry-After: {header.decode('latin-1')})"
                                         f": the provider asks to wait longer than "
                                         f"{MAX_RETRY_AFTER:g} s; the next run asks again")
            return None
        if attempt >= MAX_ATTEMPTS:
            self._fail(response, "http", f"HTTP {status} to {what}, {attempt} times in a row")
            return None
        if status in _BUSY:
            said = f"asked to wait {wait:g} s" if wait is not None else "named no wait"
            self.ctx.catalogue.record_error(
                self.ctx.run_id, self.source.id, url, "busy",
                f"the provider answered HTTP {status} and {said}; waited and asked again",
                counter=None)
        wait = wait if wait is not None else min(MAX_RETRY_AFTER, 2.0 ** attempt)
        log.info("%s: HTTP %s from %s, asking again in %g s", self.source.id, status, url, wait)
        return request.replace(meta={**request.meta, "ccp_attempt": attempt + 1,
                                     "ccp_retry_delay": wait}, dont_filter=True)

    def _fail(self, response_or_request, kind: str, message: str) -> None:
        meta = response_or_request.meta
        key = meta.get("ccp_key")
        if key:
            self.listing_incomplete(key)
        url = meta.get("redirect_urls", [response_or_request.url])[0]
        self.fail_source(url, kind, message)

    def on_error(self, failure):
        request = failure.request
        if not request.meta.get("ccp_oai"):
            super().on_error(failure)
            hints = request.meta.get("ccp_hints")
            fallback = request.meta.get("ccp_fallback")
            if fallback and hints is not None and hints.guid:
                # the page failed: the record is asked again next run (GetRecord), and kept
                # meanwhile with what its metadata says
                kind, message, _ = describe_failure(failure)
                self.ctx.catalogue.note_url_failure(self._get_record_url(hints.guid),
                                                    self.source.id, kind, message)
                if hints.summary or hints.title:
                    return [self.record_item(fallback, hints)]
            return None
        kind, message, _counter = describe_failure(
            failure, timeout=self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        if request.meta.get("ccp_get_record"):  # one record: that record's error
            self.record_failure(requested_url(request), kind, message, document=False)
            return None
        self._fail(request, kind, message)
        return None

    def parse_document(self, response: Response, **kw):
        """A record's page or PDF; when it brings nothing to index (a type the portal does
        not index, a cut-short answer) the record is kept with what its metadata says."""
        out = list(super().parse_document(response, **kw))
        hints, fallback = response.meta.get("ccp_hints"), response.meta.get("ccp_fallback")
        if not out and fallback and response.status != 304 and hints is not None \
                and (hints.summary or hints.title):
            out.append(self.record_item(fallback, hints))
        yield from out

    def _envelope(self, response: Response, what: str):
        """The parsed answer, or None when it failed the source."""
        if response.meta.get("ccp_truncated"):
            self._fail(response, "truncated", f"the answer to {what} was cut short "
                                              f"({response.meta['ccp_truncated']})")
            return None
        try:
            return parse_envelope(response.body)
        except NotOaiPmh as exc:
            if response.status >= 400:
                self._fail(response, "http", f"HTTP {response.status} to {what}")
            else:
                self._fail(response, "parse", f"{exc}; the records already stored are kept")
            return None

    # -- Identify ----------------------------------------------------------------------------
    def parse_identify(self, response: Response):
        if response.status in _BUSY or response.status in _ERRORS:
            again = self._again(response, "Identify")
            if again is not None:
                yield again
            return
        root = self._envelope(response, "Identify")
        if root is None:
            return
        errors = errors_of(root)
        if errors:
            code, msg = errors[0]
            self._fail(response, "oai-pmh", f"Identify answered the error {code}: {msg}")
            return
        try:
            self.identify = parse_identify(root)
        except NotOaiPmh as exc:
            self._fail(response, "parse", str(exc))
            return
        self.root_ok += 1
        for set_spec in self.source.sets or [None]:
            yield self._first_page(set_spec)
        # records whose page failed last run are asked again (an incremental listing would
        # not name them until they change)
        asked_again = verb_url(self.base, verb="GetRecord") + "&"
        for url in self.failed_before:
            if url.startswith(asked_again):
                self.listed.add(url)
                yield self.oai_request(url, self.parse_get_record, meta={"ccp_get_record": True})

    def _get_record_url(self, identifier: str) -> str:
        return verb_url(self.base, verb="GetRecord", identifier=identifier,
                        metadataPrefix=self.source.metadata_prefix)

    def parse_get_record(self, response: Response):
        if response.status in _BUSY or response.status in _ERRORS:
            again = self._again(response, "GetRecord")
            if again is not None:
                yield again
            return
        url = requested_url(response)
        try:
            root = parse_envelope(response.body)
            errors = errors_of(root)
            rec = None if errors else parse_get_record(root)
        except (NotOaiPmh, ValueError) as exc:
            self.record_failure(url, "parse", f"the record asked again cannot be read: {exc}",
                                document=False)
            return
        self.ctx.catalogue.clear_url_failure(url)
        if rec is None:  # e.g. idDoesNotExist: nothing to ask any more
            log.info("%s: %s answered %s", self.source.id, url, errors[0])
            return
        if rec.deleted:
            self.withdrawn += len(self.ctx.catalogue.withdraw(self.source.id,
                                                              guids=[rec.identifier]))
            return
        yield from self._record(rec)

    def _first_page(self, set_spec: str | None, restarted: bool = False):
        key = listing_key(self.source, set_spec)
        cursor = self.validators.get(key, (None, None))[1]
        since = from_argument(cursor, OVERLAP, self.identify.seconds)
        self.incremental = self.incremental or since is not None
        url = verb_url(self.base, verb="ListRecords", metadataPrefix=self.source.metadata_prefix,
                       set=set_spec, **{"from": since})
        return self.oai_request(url, self.parse_list, meta={
            "ccp_key": key, "ccp_set": set_spec, "ccp_from": since, "ccp_restarted": restarted,
            "ccp_cursor": None, "ccp_page": 1})

    # -- ListRecords -------------------------------------------------------------------------
    def parse_list(self, response: Response):
        meta = response.meta
        what = f"ListRecords (page {meta['ccp_page']})"
        if response.status in _BUSY or response.status in _ERRORS:
            again = self._again(response, what)
            if again is not None:
                yield again
            return
        root = self._envelope(response, what)
        if root is None:
            return
        cursor = meta["ccp_cursor"] or response_date(root) or self.started_at.strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        errors = errors_of(root)
        if errors:
            yield from self._protocol_error(response, errors[0], cursor)
            return
        try:
            page = parse_list_records(root)
        except NotOaiPmh as exc:
            self._fail(response, "parse", f"{exc}; the records already stored are kept")
            return
        for ident, why in page.problems:
            self.record_failure(ident or requested_url(response), "parse", why)
        gone: list[str] = []
        for rec in page.records:
            if self.source.max_items and self.documents_requested >= self.source.max_items:
                self.listing_incomplete(meta["ccp_key"])  # the rest is asked next run
                break
            try:
                if rec.deleted:
                    gone.append(rec.identifier)
                    self.listed.add(rec.identifier)
                    continue
                out = list(self._record(rec))
            except Exception as exc:  # noqa: BLE001 - one record never ends the listing
                self.entry_failed(rec.identifier, exc)
                continue
            yield from out
        if gone:
            ids = self.ctx.catalogue.withdraw(self.source.id, guids=gone)
            self.withdrawn += len(ids)
            log.info("%s: %d deleted record(s), %d resource(s) withdrawn", self.source.id,
                     len(gone), len(ids))
        if meta["ccp_key"] in self.incomplete:
            return
        if page.token:
            nxt = verb_url(self.base, verb="ListRecords", resumptionToken=page.token)
            yield self.oai_request(nxt, self.parse_list, meta={
                **_listing_meta(meta), "ccp_cursor": cursor, "ccp_page": meta["ccp_page"] + 1})
        else:
            self.listing_states[meta["ccp_key"]] = (None, cursor, 200)

    def _protocol_error(self, response: Response, error: tuple[str, str], cursor: str):
        meta = response.meta
        code, msg = error
        url = requested_url(response)
        if code == NO_RECORDS_MATCH:  # nothing (new) in this listing: a normal answer
            self.listing_states[meta["ccp_key"]] = (None, cursor, 200)
            return
        if code == BAD_RESUMPTION_TOKEN and not meta.get("ccp_restarted"):
            self.ctx.catalogue.record_error(
                self.ctx.run_id, self.source.id, url, "oai-pmh",
                f"the provider refused its own resumption token ({msg or code}); the listing "
                "was started again", counter=None)
            yield self._first_page(meta.get("ccp_set"), restarted=True)
            return
        if code == CANNOT_DISSEMINATE:
            why = (f"the provider cannot give records in metadataPrefix "
                   f"{self.source.metadata_prefix!r} (cannotDisseminateFormat: {msg})")
        elif code == BAD_ARGUMENT:
            why = f"the provider refused the request's arguments (badArgument: {msg})"
        elif code == NO_SET_HIERARCHY:
            why = f"the provider has no sets, but the source names sets (noSetHierarchy: {msg})"
        else:
            why = f"the provider answered the error {code}: {msg}"
        self._fail(response, "oai-pmh", why)

    # -- one live record ---------------------------------------------------------------------
    def _record(self, rec: OaiRecord):
        if not rec.dc:
            self.record_failure(rec.identifier, "parse",
                                f"the record {rec.identifier} carries no Dublin Core element "
                                f"in metadataPrefix {self.source.metadata_prefix!r}")
            return
        hints = record_hints(rec, self.source.language)
        links = [u for u in (self.checked_link(v, quiet=True) for v in web_identifiers(rec)) if u]
        page = links[0] if links else None
        if page and self.source.fetch_pages:
            req = self.document_request(page, hints, conditional=False,
                                        meta={"ccp_fallback": page})
            if req is not None:
                yield req
            return
        if not (hints.summary or hints.title):
            self.record_failure(rec.identifier, "parse", f"the record {rec.identifier} has "
                                                         "neither a title nor a description")
            return
        url = page or self._get_record_url(rec.identifier)
        self.documents_requested += 1
        yield self.record_item(url, hints)

    def record_item(self, url: str, hints: Hints):
        """A record stored from its metadata: its title, description, authors and subjects
        are its text (so that a change to any of them is a change of the record)."""
        parts = [f"<h1>{escape(hints.title)}</h1>" if hints.title else ""]
        parts += [f"<p>{escape(p)}</p>" for p in (hints.summary or "").split("\n\n") if p]
        for label, values in (("By", hints.authors), ("Subjects", hints.categories)):
            if values:
                parts.append(f"<p>{label}: {escape('; '.join(values))}</p>")
        hints.content_html = "".join(parts)
        return self.feed_item(url, hints)

    # -- end ---------------------------------------------------------------------------------
    def _mark_missing(self, read_in_full: bool) -> None:
        """Only a full listing says what is missing (when the operator set gone_after_runs);
        an incremental one names only what changed."""
        if not self.incremental:
            super()._mark_missing(read_in_full)

    def _check_listing_size(self) -> bool:
        """An incremental listing names only what changed: never suspect (deletions come as
        deleted records); what it named is still stored for the report."""
        self.ctx.catalogue.save_listed(self.ctx.run_id, self.source.id, len(self.listed))
        return False


def _listing_meta(meta) -> dict:
    return {k: meta[k] for k in ("ccp_key", "ccp_set", "ccp_from", "ccp_restarted")}
