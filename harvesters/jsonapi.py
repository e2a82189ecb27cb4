"""JSON APIs (the EU Funding & Tenders search, Kohesio, …): records found with a JMESPath
``items`` expression, each made a document with the ``fields`` mapping.

*Gather*: the API's pages one after another (by page number, offset, cursor, or a next-page
URL the answer gives), GET or POST, up to ``max_pages``. The first page is asked with a
conditional GET (a 304 means nothing changed); with ``since_param`` set, a run after a
complete one asks only what changed since the last successful run (the parameter filled with
its date, less ``overlap_minutes``), and a complete listing is read again every
``CCP_REVALIDATE_DAYS``. *Fetch*: each record's URL is fetched for its full text
(``fetch_pages``), or the record's own title and summary are the document; either way its
dates, deadline, event dates, language and type travel as :class:`Hints`. Records no longer
listed by a complete run go gone through ``gone_after_runs``.

An answer that is not JSON, an ``items`` path that finds no list, an HTTP error or a timeout
fails the source, naming the URL; a record that cannot be read fails alone.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import jmespath
from scrapy.http import Response

from config.models import JsonApiSource
from indexer.resource import Hints, utcnow

from .apirecords import (
    ApiAnswerError,
    deadline_of,
    json_answer,
    language_of,
    moment,
    resource_type_of,
    since_last_success,
    text_of,
)
from .spiderbase import SourceSpider, requested_url

__all__ = ["JsonApiSpider", "guess_mapping"]

log = logging.getLogger(__name__)

_DEFAULT_PARAM = {"page": "page", "offset": "offset"}


def with_params(url: str, params: dict[str, Any]) -> str:
    """``url`` with ``params`` added to (or replacing those of) its query string."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: ("true" if v is True else "false" if v is False else str(v))
                  for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


class JsonApiSpider(SourceSpider):
    """One JSON API: its pages of records, each record a document."""

    custom_settings = {"WARN_ON_GENERATOR_RETURN_VALUE": False}
    source: JsonApiSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.items = jmespath.compile(source.items)
        self.fields = {k: jmespath.compile(v)
                       for k, v in source.fields.model_dump(exclude_none=True).items()}
        p = source.paging
        self.total = jmespath.compile(p.total) if p and p.total else None
        self.next = jmespath.compile(p.next) if p and p.next else None
        self.first_url = self._url(self._paging_params(self._first_position()), since=None)
        # records changed since then (their `updated` field says so) are asked in full
        self.last_success = since_last_success(ctx.catalogue, source.id, source.overlap_minutes)
        self.since = None
        if source.since_param and self.first_url in self.validators \
                and self.first_url not in self.stale_listings:
            self.since = self.last_success
        if self.since is not None:
            self.partial = True  # it names only what changed: nothing may be marked gone
        self.pages = 0
        self.records = 0
        self.seen_pages: set[str] = set()
        self.now = utcnow()

    # -- requests --------------------------------------------------------------------------
    def _first_position(self) -> Any:
        p = self.source.paging
        if p is None or p.kind in ("cursor", "next-url"):
            return None
        return p.first if p.first is not None else (1 if p.kind == "page" else 0)

    def _paging_params(self, position: Any) -> dict[str, Any]:
        p = self.source.paging
        out: dict[str, Any] = {}
        if p is None:
            return out
        if p.size_param and p.size:
            out[p.size_param] = p.size
        if p.kind in ("page", "offset"):
            out[p.param or _DEFAULT_PARAM[p.kind]] = position
        elif p.kind == "cursor" and position is not None:
            out[p.param] = position
        return out

    def _url(self, paging: dict[str, Any], since) -> str:
        params = dict(self.source.params)
        p = self.source.paging
        if not (p and p.in_body and self.source.method == "POST"):
            params.update(paging)
        if since is not None and self.source.since_param:
            params[self.source.since_param] = (
                since.date().isoformat() if self.source.since_format == "date"
                else since.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return with_params(str(self.source.url), params) if params else str(self.source.url)

    def _request(self, position: Any, url: str | None = None):
        paging = self._paging_params(position)
        first = url is None and position == self._first_position()
        url = url or self._url(paging, self.since)
        get = self.source.method == "GET"
        req = self.make_request(url, self.parse_page, root=True,
                                conditional=get and first and self.since is None,
                                meta={"ccp_position": position})
        headers = {"Accept": "application/json"}
        if not get:
            body = self.source.body if self.source.body is not None else {}
            if isinstance(body, dict) and self.source.paging and self.source.paging.in_body:
                body = {**body, **paging}
            headers["Content-Type"] = "application/json"
            req = req.replace(method="POST", body=json.dumps(body).encode("utf-8"))
        for k, v in headers.items():
            req.headers.setdefault(k, v)
        return req

    async def start(self):
        yield self._request(self._first_position())

    def fail_source(self, url, kind, message):
        self.listing_states.clear()  # a listing read in part keeps no validators
        super().fail_source(url, kind, message)

    # -- the pages -------------------------------------------------------------------------
    def parse_page(self, response: Response):
        if not self.listing_response(response):
            yield from self.retry_failed_documents()
            return
        url = requested_url(response)
        if self.since is not None:
            self.listing_states.pop(url, None)  # a since= URL is asked once: nothing to keep
        try:
            data = json_answer(response.body, "the API")
            records = self.items.search(data)
            if records is None and self.pages > 0:
                records = []
            if not isinstance(records, list):
                found = "nothing" if records is None else f"a {type(records).__name__}"
                raise ApiAnswerError(f"items {self.source.items!r} finds {found}, not a list "
                                     "of records, in the answer")
        except ApiAnswerError as exc:
            self.root_ok -= 1
            self.fail_source(url, "json", str(exc))
            return
        self.pages += 1
        self.seen_pages.add(url)
        for i, record in enumerate(records):
            try:
                out = list(self._record(record, response.url, i))
            except Exception as exc:  # noqa: BLE001 - one record never ends the listing
                self.entry_failed(f"{url} (record {self.records + i + 1})", exc)
                continue
            yield from out
        self.records += len(records)
        nxt = self._next(data, records, response)
        if nxt is not None:
            if self.pages >= self.source.max_pages:
                self.partial = True
                log.warning("%s: stopped after max_pages (%d) pages; more were offered",
                            self.source.id, self.source.max_pages)
                return
            yield nxt
        elif self.since is None:
            # a complete listing: remembered, so that the next runs may ask only for changes
            self.listing_states.setdefault(self.first_url, (None, None, 200))

    def _next(self, data: Any, records: list, response: Response):
        """The request for the next page, or None at the end."""
        p = self.source.paging
        if p is None or not records:
            return None
        position = response.meta.get("ccp_position")
        if p.kind in ("page", "offset"):
            total = self.total.search(data) if self.total else None
            if isinstance(total, (int, float)) and not isinstance(total, bool):
                if self.records >= total:
                    return None
            elif p.size and len(records) < p.size:
                return None
            step = 1 if p.kind == "page" else len(records)
            return self._request(position + step)
        found = text_of(self.next.search(data))
        if not found:
            return None
        if p.kind == "cursor":
            return None if found == position else self._request(found)
        url = urljoin(response.url, found)
        return None if url in self.seen_pages else self._request(None, url=url)

    # -- the records -----------------------------------------------------------------------
    def _record(self, record: Any, page_url: str, i: int):
        values = {k: expr.search(record) for k, expr in self.fields.items()}
        link = text_of(values.get("url"))
        if not link:
            self.record_failure(f"{page_url} (record {self.records + i + 1})", "no-url",
                                f"skipped: the record has no URL at {self.source.fields.url!r}",
                                counter="skipped")
            return
        url = self.checked_link(urljoin(page_url, link))
        if url is None:
            return
        hints = self._hints(values, url)
        if self.source.fetch_pages:
            # a record that changed (a since= listing names only those; else its `updated`
            # field tells) is asked in full, so that a moved deadline is stored even when
            # its page did not change
            changed = self.since is not None or bool(
                hints.updated and self.last_success and hints.updated >= self.last_success)
            req = self.document_request(url, hints, conditional=not changed)
            if req is not None:
                yield req
            return
        if self.source.max_items and self.documents_requested >= self.source.max_items:
            return
        if url in self.listed:
            return
        hints.summary = hints.summary or hints.title
        self.documents_requested += 1
        yield self.feed_item(url, hints)

    def _hints(self, v: dict[str, Any], url: str) -> Hints:
        categories = v.get("categories")
        cats = [c for c in (text_of(x) for x in (categories if isinstance(categories, list)
                                                   else [categories])) if c]
        return Hints(
            guid=text_of(v.get("id")) or url,
            title=text_of(v.get("title")),
            summary=text_of(v.get("summary")),
            published=moment(v.get("date")),
            updated=moment(v.get("updated")),
            language=language_of(v.get("language")),
            categories=cats,
            publisher=text_of(v.get("publisher")),
            resource_type=resource_type_of(v.get("type"), self.source.type_map),
            deadline=deadline_of(v.get("deadline"), self.now),
            event_start=moment(v.get("start")),
            event_end=moment(v.get("end"), end_of_day=True),
        )


# -- discovery -------------------------------------------------------------------------------
_URL_KEYS = ("url", "link", "href", "uri", "permalink", "web_url", "page", "landing_page")
_TITLE_KEYS = ("title", "name", "label", "headline", "subject")
_DATE_KEYS = ("date", "published", "publication_date", "created", "modified", "updated",
              "start_date", "startDate", "datePublished")
_SUMMARY_KEYS = ("summary", "description", "abstract", "teaser", "snippet", "content")
_DEADLINE_KEYS = ("deadline", "deadlineDate", "deadline_date", "closing_date", "closingDate")
_ID_KEYS = ("id", "identifier", "reference", "uuid", "guid")


def _records_at(data: Any) -> tuple[str, list[dict]] | None:
    """The JMESPath and the records of the longest list of objects in ``data`` (the top
    level or one or two keys down)."""
    best: tuple[str, list[dict]] | None = None

    def consider(path: str, value: Any) -> None:
        nonlocal best
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value[:20]):
            if best is None or len(value) > len(best[1]):
                best = (path, value)

    consider("@", data)
    if isinstance(data, dict):
        for k, v in data.items():
            consider(_quoted(k), v)
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    consider(f"{_quoted(k)}.{_quoted(k2)}", v2)
    return best


def _quoted(key: str) -> str:
    return key if key.isidentifier() else json.dumps(key)


def _field(records: list[dict], keys: tuple[str, ...], want_url: bool = False) -> str | None:
    """The JMESPath of the first of ``keys`` that most records have (directly, or in a
    ``metadata`` object, as a value or a one-element list)."""
    sample = records[:20]
    for key in keys:
        for prefix in ("", "metadata."):
            path = f"{prefix}{_quoted(key)}"
            values = [jmespath.search(path, r) for r in sample]
            texts = [text_of(v) for v in values]
            good = [t for t in texts if t and (not want_url or t.startswith(("http", "/")))]
            if len(good) * 2 > len(sample):
                return path + "[0]" if isinstance(values[0], list) else path
    return None


def guess_mapping(data: Any) -> dict[str, Any] | None:
    """``items`` and ``fields`` of a json source for an API answer, when it holds a list of
    records with a URL; None otherwise."""
    found = _records_at(data)
    if found is None:
        return None
    path, records = found
    url = _field(records, _URL_KEYS, want_url=True)
    if url is None:
        return None
    fields = {"url": url}
    for name, keys in (("title", _TITLE_KEYS), ("date", _DATE_KEYS),
                       ("summary", _SUMMARY_KEYS), ("deadline", _DEADLINE_KEYS),
                       ("id", _ID_KEYS)):
        f = _field(records, keys)
        if f:
            fields[name] = f
    items = f"{path}[]" if path != "@" else "[]"
    return {"items": items, "fields": fields, "records": len(records)}
