"""The ``dcat`` source type: a DCAT-AP catalogue in RDF/XML, Turtle or JSON-LD.

*Gather* reads the catalogue page by page (Hydra ``next``/``nextPage`` links, up to
``max_pages``); :mod:`indexer.dcat` turns each page into datasets. *Fetch*: each dataset's
distributions in the wanted formats (PDF, HTML) go through the normal document pipeline with
the dataset's metadata as :class:`~indexer.resource.Hints` (its first document's GUID is the
dataset IRI, further ones ``"<IRI> <URL>"``); without one, its landing page; without that, the
dataset's description is the document.

Incremental: every catalogue page is asked with a conditional GET (its validators and the page
it led to are kept in ``http_state``). When every page answers 304 the run is "not modified";
when some page changed, the pages that answered 304 are read again so that the listing is
complete. A dataset whose ``dct:modified`` is not newer than the start of the last successful
run is only marked seen. Datasets missing from a complete listing are withdrawn at once.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.http import Response

from config.models import DcatSource
from indexer.dcat import CatalogueError, Dataset, parse_catalogue

from .spiderbase import SourceSpider, headers_of, requested_url

__all__ = ["DcatSpider"]

log = logging.getLogger(__name__)

ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
          "application/n-triples;q=0.7, application/xml;q=0.3, */*;q=0.1")
_ACCEPT_HINT = {"rdfxml": "application/rdf+xml", "turtle": "text/turtle",
                "jsonld": "application/ld+json", "ntriples": "application/n-triples"}


class DcatSpider(SourceSpider):
    """A DCAT-AP catalogue: datasets, their distributions, Hydra paging."""

    custom_settings = {"WARN_ON_GENERATOR_RETURN_VALUE": False}
    source: DcatSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        cat = ctx.catalogue
        self.known = cat.record_guids(source.id)  # dataset IRI -> its live instances' GUIDs
        self.since = cat.last_success_started(source.id)
        # a document that failed last run is asked again with its dataset's metadata: every
        # page is read in full then (a page answering 304 would not name it again)
        self.conditional_pages = not self.failed_before
        self.pages = 0
        self.page_urls: set[str] = set()
        self.changed = False  # some page answered in full
        self.unchanged_pages: list[str] = []  # pages that answered 304
        self.refills = 0  # 304 pages asked again in full, not yet answered
        self.chain_done = False  # the last page was reached
        self.present: set[str] = set()  # dataset IRIs the listing named
        self.page_states: dict[str, tuple[str | None, str | None, int, str | None]] = {}
        self.suspect = False

    # -- requests ------------------------------------------------------------------------
    async def start(self):
        url = str(self.source.url)
        self.page_urls.add(url)
        yield self._page_request(url, root=True, conditional=self.conditional_pages)

    def _page_request(self, url: str, *, root: bool = False, conditional: bool = True,
                      refill: bool = False):
        req = self.make_request(url, self.parse_page, root=root,
                                conditional=conditional and url not in self.stale_listings,
                                meta={"ccp_listing": True, "ccp_refill": refill})
        req.headers["Accept"] = _ACCEPT_HINT.get(self.source.format or "", ACCEPT)
        return req

    # -- pages ---------------------------------------------------------------------------
    def parse_page(self, response: Response):
        url, meta = requested_url(response), response.meta
        if response.status == 304:
            self.unchanged_pages.append(url)
            if meta.get("ccp_root"):
                self.root_unchanged.append(url)
            yield from self._next(url, self.ctx.catalogue.listing_next(url))
            return
        if meta.get("ccp_root"):
            self.root_ok += 1
            if url in self.root_unchanged:
                self.root_unchanged.remove(url)
        page = self._read(response, url)
        if meta.get("ccp_refill"):
            self.refills -= 1
        if page is None:
            return
        if not meta.get("ccp_refill"):
            self.changed = True
        h = headers_of(response)
        if h.get("etag") or h.get("last-modified"):
            self.page_states[url] = (h.get("etag"), h.get("last-modified"), response.status,
                                     page.next_url)
        for where, why in page.problems:
            if where.startswith(("http://", "https://")):
                self.present.add(where)  # still listed: never withdrawn for being unreadable
            self.record_failure(where, "parse", f"this dataset could not be read: {why}",
                                document=False)
        yield from self._datasets(page.datasets)
        if not meta.get("ccp_refill"):
            yield from self._next(url, page.next_url)

    def _read(self, response: Response, url: str):
        """The page's datasets, or None when the page cannot be read (its error stored)."""
        root = bool(response.meta.get("ccp_root"))
        truncated = response.meta.get("ccp_truncated")
        try:
            if truncated:
                raise CatalogueError(f"{truncated}; a catalogue page is read whole or not at all")
            ctype = headers_of(response).get("content-type")
            page = parse_catalogue(response.body, response.url, ctype, hint=self.source.format)
            if root and not page.is_catalogue and not page.datasets:
                raise CatalogueError("the answer describes no dcat:Catalog and no dcat:Dataset")
        except Exception as exc:  # noqa: BLE001 - a page the parser chokes on is this page's error
            if not isinstance(exc, CatalogueError):
                log.exception("%s: reading %s", self.source.id, url)
                exc = f"{exc.__class__.__name__}: {exc}"
            if root:
                self.root_ok -= 1
                self.fail_source(url, "parse", f"the DCAT catalogue cannot be read: {exc}")
            else:
                self.listing_incomplete(url, "parse", f"this catalogue page cannot be read: "
                                                      f"{exc}")
            return None
        return page

    def _next(self, url: str, nxt: str | None):
        self.pages += 1
        if nxt:
            nxt = self.checked_link(nxt, url)
        if nxt and nxt not in self.page_urls:
            if self.pages >= self.source.max_pages:
                self.partial = True  # the rest is not looked at: nothing is withdrawn
                self.ctx.catalogue.record_error(
                    self.ctx.run_id, self.source.id, nxt, "page-cap",
                    f"stopped after {self.pages} catalogue pages (max_pages); later pages "
                    "are not harvested", counter=None)
                return
            self.page_urls.add(nxt)
            yield self._page_request(nxt, conditional=self.conditional_pages)
            return
        self.chain_done = True
        if self.changed and self.unchanged_pages:
            # something changed: the pages that did not are read again, so that the listing
            # is complete (their datasets are only marked seen)
            root = str(self.source.url)
            for page_url in self.unchanged_pages:
                self.refills += 1
                yield self._page_request(page_url, root=page_url == root, conditional=False,
                                         refill=True)
            self.unchanged_pages = []

    # -- datasets ------------------------------------------------------------------------
    def _datasets(self, datasets: list[Dataset]):
        seen_only: list[str] = []
        for ds in datasets:
            try:
                out = list(self._dataset(ds, seen_only))
            except Exception as exc:  # noqa: BLE001 - one dataset never ends the page
                self.entry_failed(ds.uri, exc)
                continue
            yield from out
        if seen_only:
            self.ctx.catalogue.touch_records(self.source.id, seen_only, run_id=self.ctx.run_id)

    def _targets(self, ds: Dataset) -> tuple[list[str], bool]:
        """The URLs of the documents the dataset becomes (none: its description), and whether
        they are its distributions (else its landing page or description: the data itself)."""
        wanted = ds.wanted(self.source.formats) if self.source.fetch_distributions else []
        links = [u for u in (self.checked_link(d.url) for d in wanted) if u]
        if links:
            return list(dict.fromkeys(links)), True
        landing = self.checked_link(ds.landing_page) if ds.landing_page else None
        return ([landing] if landing else []), False

    def _dataset(self, ds: Dataset, seen_only: list[str]):
        self.present.add(ds.uri)
        targets, documents = self._targets(ds)
        if self._unchanged(ds, targets):
            self.listed.update(targets or [ds.uri])
            seen_only.append(ds.uri)
            return
        hints = ds.hints()
        if not documents:  # what is indexed describes the data: a dataset, whatever its words
            hints.resource_type = "dataset"
        if not targets:
            if self.source.max_items and self.documents_requested >= self.source.max_items:
                return
            self.documents_requested += 1
            yield self.feed_item(ds.uri, replace(hints, summary=ds.description or ds.title))
            return
        for i, link in enumerate(targets):
            guid = ds.uri if i == 0 else f"{ds.uri} {link}"
            req = self.document_request(link, replace(hints, guid=guid))
            if req is not None:
                yield req

    def _unchanged(self, ds: Dataset, targets: list[str]) -> bool:
        """Not modified since the last successful run began, and stored: seen, not fetched."""
        if self.since is None or ds.modified is None or ds.modified > self.since:
            return False
        return ds.uri in self.known and not any(t in self.failed_before for t in targets)

    # -- end -----------------------------------------------------------------------------
    def _check_listing_size(self) -> bool:
        self.suspect = super()._check_listing_size()
        if not self.suspect and self.chain_done and not self.refills:
            self._withdraw_absent()
        return self.suspect

    def _withdraw_absent(self) -> None:
        gone = sorted(r for r in self.known if r not in self.present)
        if not gone:
            return
        guids = [g for r in gone for g in self.known[r]]
        self.ctx.catalogue.withdraw(self.source.id, guids=guids)
        log.info("%s: %d dataset(s) no longer in the catalogue withdrawn", self.source.id,
                 len(gone))

    def _on_closed(self, spider, reason):
        super()._on_closed(spider, reason)
        if spider is not self or self.suspect or self.root_failure:
            return
        if reason not in ("finished", "closespider_itemcount"):
            return
        for url, (etag, lm, code, nxt) in self.page_states.items():
            if url not in self.incomplete:
                self.ctx.catalogue.save_http_state(url, self.source.id, etag, lm, code,
                                                   instance_url=nxt)
