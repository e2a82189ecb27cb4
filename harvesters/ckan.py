"""CKAN sites: the datasets ``package_search`` finds, their resources as documents.

As ckanext-harvest does it: *gather* pages through ``package_search`` (``q``/``fq``, sorted by
``metadata_modified asc``, ``start``/``rows``); after a successful run only what changed since
it (``fq=metadata_modified:[<start of that run − overlap> TO *]``, deleted datasets included).
*Fetch*: each dataset's resources of the wanted formats (PDF and HTML pages by default) go
through the normal document pipeline with the dataset's metadata as :class:`Hints`; the GUID
of such a document is ``<dataset id>/<resource id>``. A full run asks them with a conditional
GET; an incremental run, which lists only changed datasets, asks them in full.

Deletions: a dataset answered with ``state: deleted``, a resource dropped from a changed
dataset, and a dataset no longer in the source's full listing of ids (``fl=id``, 1,000 a
page, on every incremental run) are withdrawn from the catalogue at once
(:meth:`Catalogue.withdraw`). A listing suspiciously smaller than the last good one withdraws
nothing (see :func:`.spiderbase.suspect_listing`).

An answer that is not JSON, ``success: false``, an HTTP error or a timeout fails the source,
naming the URL; a dataset that cannot be read fails alone.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlparse

from scrapy.http import Response

from config.models import CkanSource
from indexer.resource import Hints, as_utc

from .apirecords import (
    ApiAnswerError,
    json_answer,
    language_of,
    moment,
    since_last_success,
    text_of,
)
from .spiderbase import SourceSpider, requested_url

__all__ = ["CkanSpider", "api_url", "package_documents", "resource_format", "search_url"]

log = logging.getLogger(__name__)

ID_PAGE = 1000  # ids a page of the full listing (CKAN's largest page)
# CKAN answers refusals with these statuses and a JSON body saying why: read, not retried
_API_ERRORS = [400, 403, 404, 409]
_FORMAT_ALIASES = {"TEXT/HTML": "HTML", "HTM": "HTML", "WEB PAGE": "HTML", "WEBPAGE": "HTML",
                   "APPLICATION/PDF": "PDF", "XHTML": "HTML"}
_EXTENSIONS = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML"}


def api_url(site: str, action: str, params: dict[str, Any] | None = None) -> str:
    base = site.rstrip("/") + "/api/3/action/" + action
    return f"{base}?{urlencode(params)}" if params else base


def solr_time(dt: datetime) -> str:
    return as_utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_url(source: CkanSource, start: int, since: datetime | None) -> str:
    """A page of the source's datasets, oldest change first; with ``since`` only those
    changed since then, deleted ones included."""
    fq = source.fq or ""
    if since is not None:
        window = f"metadata_modified:[{solr_time(since)} TO *]"
        fq = f"({fq}) AND {window}" if fq else window
    params: dict[str, Any] = {"q": source.q or "*:*"}
    if fq:
        params["fq"] = fq
    params.update(sort="metadata_modified asc", rows=source.rows, start=start)
    if since is not None:
        params["include_deleted"] = "true"
    return api_url(str(source.url), "package_search", params)


def ids_url(source: CkanSource, start: int) -> str:
    """A page of the full listing of the source's dataset ids (cheap: ids only)."""
    params: dict[str, Any] = {"q": source.q or "*:*"}
    if source.fq:
        params["fq"] = source.fq
    params.update(fl="id", sort="id asc", rows=ID_PAGE, start=start)
    return api_url(str(source.url), "package_search", params)


def retry_url(source: CkanSource, urls: list[str]) -> str:
    """The datasets whose resources are at ``urls`` (documents that failed last run, which
    an incremental run would not list again)."""
    quoted = " OR ".join('"' + u.replace("\\", "\\\\").replace('"', '\\"') + '"'
                         for u in urls)
    fq = f"res_url:({quoted})"
    params: dict[str, Any] = {"q": source.q or "*:*",
                              "fq": f"({source.fq}) AND {fq}" if source.fq else fq,
                              "rows": ID_PAGE, "start": 0}
    return api_url(str(source.url), "package_search", params)


def resource_format(res: dict[str, Any]) -> str:
    """A resource's format as one upper-case word (PDF, HTML, CSV …): its ``format``, else
    its ``mimetype``, else its URL's extension."""
    for raw in (res.get("format"), res.get("mimetype")):
        f = (text_of(raw) or "").strip().lstrip(".").upper()
        if f:
            return _FORMAT_ALIASES.get(f, f.split("/")[-1] if "/" in f else f)
    path = urlparse(text_of(res.get("url")) or "").path.lower()
    ext = path[path.rfind("."):] if "." in path.rsplit("/", 1)[-1] else ""
    return _EXTENSIONS.get(ext, "")


def _extras(pkg: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for e in pkg.get("extras") or []:
        if isinstance(e, dict) and e.get("key"):
            out[str(e["key"]).lower()] = e.get("value")
    return out


def _names(items: Any, *keys: str) -> list[str]:
    out: list[str] = []
    for item in items or []:
        if isinstance(item, dict):
            name = next((text_of(item.get(k)) for k in keys if text_of(item.get(k))), None)
        else:
            name = text_of(item)
        if name and name not in out:
            out.append(name)
    return out


def _is_label(name: str | None, url: str) -> bool:
    """A resource name worth showing (not empty, not its file name or URL)."""
    if not name:
        return False
    tail = urlparse(url).path.rsplit("/", 1)[-1]
    return name != url and name != tail and not re.fullmatch(r"[\w.-]+\.\w{2,4}", name)


def package_documents(pkg: dict[str, Any], formats: list[str]) -> list[tuple[str, Hints]]:
    """(URL, hints) of each resource of the dataset ``pkg`` in one of ``formats``: the
    dataset's metadata as hints, the GUID ``<dataset id>/<resource id>``."""
    pid = text_of(pkg.get("id"))
    if not pid:
        raise ValueError("the dataset has no id")
    extras = _extras(pkg)
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    title = text_of(pkg.get("title")) or text_of(pkg.get("name"))
    wanted = [r for r in pkg.get("resources") or []
              if isinstance(r, dict) and text_of(r.get("url")) and resource_format(r) in formats]
    language = language_of(pkg.get("language")) or language_of(extras.get("language"))
    categories = _names(pkg.get("tags"), "display_name", "name") \
        + _names(pkg.get("groups"), "title", "display_name", "name")
    authors = [a for a in (text_of(pkg.get("author")),) if a]
    out = []
    for res in wanted:
        url = text_of(res["url"])
        name = text_of(res.get("name"))
        label = title
        if _is_label(name, url) and name != title:
            label = f"{title}: {name}" if title and len(wanted) > 1 else (title or name)
        out.append((url, Hints(
            guid=f"{pid}/{text_of(res.get('id')) or url}",
            title=label,
            summary=text_of(res.get("description")) or text_of(pkg.get("notes")),
            published=moment(pkg.get("metadata_created")),
            updated=moment(res.get("last_modified")) or moment(pkg.get("metadata_modified")),
            authors=authors,
            language=language_of(res.get("language")) or language,
            categories=list(categories),
            publisher=text_of(org.get("title")) or text_of(org.get("name")),
            licence=text_of(pkg.get("license_title")) or text_of(pkg.get("license_id")),
        )))
    return out


def ckan_result(response: Response) -> Any:
    """The ``result`` of a CKAN action answer; ApiAnswerError saying why there is none."""
    status = f" (HTTP {response.status})" if response.status != 200 else ""
    data = json_answer(response.body, f"the CKAN API{status}")
    if not isinstance(data, dict) or "success" not in data:
        raise ApiAnswerError(f"the answer{status} is not a CKAN action API answer "
                             "(no 'success')")
    if data["success"] is not True:
        err = data.get("error") if isinstance(data.get("error"), dict) else {}
        why = text_of(err.get("message")) or "; ".join(
            f"{k}: {text_of(v)}" for k, v in err.items() if k != "__type" and text_of(v)) \
            or text_of(err.get("__type")) or "no reason given"
        raise ApiAnswerError(f"the CKAN API answered success: false{status}: {why}")
    if response.status != 200:
        raise ApiAnswerError(f"the CKAN API answered HTTP {response.status}")
    return data.get("result")


class CkanSpider(SourceSpider):
    """One CKAN site's datasets (``package_search``), their resources as documents."""

    custom_settings = {"WARN_ON_GENERATOR_RETURN_VALUE": False}
    source: CkanSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.formats = list(source.formats)
        # incremental once a run succeeded, unless runs are capped (a capped run must not
        # move the start on past what it did not reach)
        self.since = None if source.max_items else since_last_success(
            ctx.catalogue, source.id, source.overlap_minutes)
        self.package_ids: set[str] = set()  # the full listing of this run
        self.ids_complete = False
        self._stored: dict[str, list[tuple[str, str]]] | None = None

    async def start(self):
        yield self._api_request(search_url(self.source, 0, self.since), self.parse_search, 0)
        if self.since is not None:
            yield self._api_request(ids_url(self.source, 0), self.parse_ids, 0)
            failed = sorted(self.failed_before)
            for i in range(0, len(failed), 20):
                yield self._api_request(retry_url(self.source, failed[i:i + 20]),
                                        self.parse_search, -1)

    def _api_request(self, url: str, callback, start: int):
        return self.make_request(url, callback, conditional=False, root=True, meta={
            "ccp_start": start, "handle_httpstatus_list": [304, *_API_ERRORS]})

    def _result(self, response: Response) -> dict[str, Any] | None:
        """The ``result`` of a package_search answer, or None when the source failed."""
        self.listing_response(response)
        try:
            result = ckan_result(response)
            if not isinstance(result, dict) or not isinstance(result.get("results"), list) \
                    or not isinstance(result.get("count"), int):
                raise ApiAnswerError("the package_search answer has no 'count' and "
                                     "'results' list")
        except ApiAnswerError as exc:
            self.root_ok -= 1
            self.fail_source(requested_url(response), "ckan", str(exc))
            return None
        return result

    # -- the datasets ----------------------------------------------------------------------
    def parse_search(self, response: Response):
        result = self._result(response)
        if result is None:
            return
        packages = result["results"]
        for pkg in packages:
            try:
                out = list(self._package(pkg))
            except Exception as exc:  # noqa: BLE001 - one dataset never ends the listing
                self.entry_failed(self._package_url(pkg), exc)
                continue
            yield from out
        if response.meta["ccp_start"] < 0:
            return  # the datasets of last run's failed documents: one page
        start = response.meta["ccp_start"] + len(packages)
        if packages and start < result["count"]:
            yield self._api_request(search_url(self.source, start, self.since),
                                    self.parse_search, start)
        elif self.since is None:
            self.ids_complete = True  # a full run's search is the full listing

    def _package_url(self, pkg: Any) -> str:
        name = text_of(pkg.get("name") or pkg.get("id")) if isinstance(pkg, dict) else None
        site = str(self.source.url).rstrip("/")
        return f"{site}/dataset/{name}" if name else site

    def _package(self, pkg: Any):
        if not isinstance(pkg, dict):
            raise ValueError(f"a search result is not a dataset but {type(pkg).__name__}")
        pid = text_of(pkg.get("id"))
        if not pid:
            raise ValueError("the dataset has no id")
        if pkg.get("state", "active") != "active":
            self._withdraw(pid, keep=(), why=f"dataset {pkg.get('state')}")
            return
        if self.since is None:
            self.package_ids.add(pid)
        docs = package_documents(pkg, self.formats)
        self._withdraw(pid, keep={h.guid for _u, h in docs}, why="resource dropped")
        for url, hints in docs:
            link = self.checked_link(url)
            if link is None:
                continue
            # an incremental run lists changed datasets only: their documents are asked in
            # full, so that changed metadata (a new title, a licence) is stored even when
            # the file itself did not change
            req = self.document_request(link, hints, conditional=self.since is None)
            if req is not None:
                yield req

    # -- deletions -------------------------------------------------------------------------
    @property
    def stored(self) -> dict[str, list[tuple[str, str]]]:
        """The source's live documents in the catalogue by dataset id (read once a run)."""
        if self._stored is None:
            self._stored = defaultdict(list)
            for guid, url in self.ctx.catalogue.live_guids(self.source.id):
                if "/" in guid:
                    self._stored[guid.split("/", 1)[0]].append((guid, url))
        return self._stored

    def _withdraw(self, pid: str, keep, why: str) -> None:
        gone = [g for g, url in self.stored.get(pid, ()) if g not in keep]
        if not gone:
            return
        rids = self.ctx.catalogue.withdraw(self.source.id, guids=gone)
        self.stored[pid] = [(g, u) for g, u in self.stored[pid] if g in keep]
        log.info("%s: %s %s: %d document(s) withdrawn", self.source.id, why, pid, len(rids))

    def parse_ids(self, response: Response):
        result = self._result(response)
        if result is None:
            return
        rows = result["results"]
        for row in rows:
            pid = text_of(row.get("id")) if isinstance(row, dict) else text_of(row)
            if pid:
                self.package_ids.add(pid)
        start = response.meta["ccp_start"] + len(rows)
        if rows and start < result["count"]:
            yield self._api_request(ids_url(self.source, start), self.parse_ids, start)
        else:
            self.ids_complete = True

    def _check_listing_size(self) -> bool:
        # a catalogue's listing is its datasets (an incremental run fetches only some)
        documents, self.listed = self.listed, self.package_ids
        try:
            return super()._check_listing_size()
        finally:
            self.listed = documents

    def _mark_missing(self, read_in_full: bool) -> None:
        """After a complete, unsuspicious listing: withdraw the datasets it no longer names."""
        if not (read_in_full and self.ids_complete):
            return
        for pid in sorted(set(self.stored) - self.package_ids):
            self._withdraw(pid, keep=(), why="dataset no longer listed")
