"""The backend class: connection, the alias and its indices, health, search."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from ...analysis import UserQuery, parse_user_query
from ...query import FACETS, Hit, SearchQuery, SearchResults
from ...textplan import TextPlan, answer_leniently
from ..base import BackendUnavailable, SearchBackend
from .bulk import IndexingMixin
from .constants import (
    BULK_CHUNK_BYTES,
    BULK_CHUNK_DOCS,
    DEFAULT_INDEX,
    DEFAULT_VECTOR_DIMS,
    MAX_QUERY_CLAUSES,
    MAX_RESULT_WINDOW,
    PIT_KEEP_ALIVE,
    SCHEMA_VERSION,
    TIMESTAMP_FORMAT,
)
from .errors import (
    error_text,
    is_too_many_clauses,
    is_version_mismatch,
    redact,
    validate_index_name,
)
from .mapping import index_body
from .queries import (
    compile_query,
    compile_vocabulary,
    cursor_of,
    deadline_bodies,
    sorted_by_date,
)
from .results import (
    facets_from_aggregations,
    hit_snippet,
    lexical_total,
    vocabulary_from_response,
)
from .vectors import VectorsMixin

if TYPE_CHECKING:
    from config.settings import Settings


log = logging.getLogger(__name__)


class ElasticsearchBackend(IndexingMixin, VectorsMixin, SearchBackend):
    """Elasticsearch behind the alias ``index``; one writer at a time (the outbox drain)."""

    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        index: str = DEFAULT_INDEX,
        *,
        where: str = "Elasticsearch",
        owns_client: bool = False,
        chunk_docs: int = BULK_CHUNK_DOCS,
        chunk_bytes: int = BULK_CHUNK_BYTES,
        bulk_retries: int = 3,
        bulk_backoff: float = 1.0,
        result_window: int = MAX_RESULT_WINDOW,
    ) -> None:
        self.es = client
        self.index = validate_index_name(index)
        self.where = where
        self._owns_client = owns_client
        self.chunk_docs = chunk_docs
        self.chunk_bytes = chunk_bytes
        self.bulk_retries = bulk_retries
        self.bulk_backoff = bulk_backoff
        # Pages ending beyond this many hits are reached with search_after (at most the
        # index's max_result_window).
        self.result_window = max(1, min(result_window, MAX_RESULT_WINDOW))
        self._index_re = re.compile(re.escape(self.index) + r"-\d{8}-\d{6}-\d{6}")
        self.vector_dims = DEFAULT_VECTOR_DIMS
        self._vector_meta_cache: tuple[float, dict[str, Any]] | None = None

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        urls: str | Sequence[str],
        index: str = DEFAULT_INDEX,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_certs: str | None = None,
        request_timeout: float = 30.0,
        max_retries: int = 2,
        **options: Any,
    ) -> "ElasticsearchBackend":
        """A backend with its own client for ``urls`` (one URL, or several comma-separated)."""
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        hosts = [u for u in urls if u]
        if not hosts:
            raise ValueError("no Elasticsearch URL given")
        if (username is None) != (password is None):
            raise ValueError("Elasticsearch basic auth needs both a username and a password")
        kwargs: dict[str, Any] = {
            "request_timeout": request_timeout,
            "max_retries": max_retries,
            "retry_on_timeout": True,
        }
        if api_key:
            kwargs["api_key"] = api_key
        if username is not None:
            kwargs["basic_auth"] = (username, password)
        if ca_certs:
            kwargs["ca_certs"] = str(ca_certs)
        client = Elasticsearch(hosts, **kwargs)
        where = "Elasticsearch at " + ", ".join(redact(h) for h in hosts)
        return cls(client, index, where=where, owns_client=True, **options)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ElasticsearchBackend":
        """The backend the portal settings describe (``CCP_ELASTICSEARCH_*``)."""
        from .. import BackendConfigError

        if not settings.elasticsearch_url:
            raise BackendConfigError(
                "the elasticsearch search backend needs CCP_ELASTICSEARCH_URL "
                "(one or more comma-separated URLs)"
            )
        try:
            return cls.connect(
                settings.elasticsearch_url,
                settings.elasticsearch_index or DEFAULT_INDEX,
                api_key=settings.elasticsearch_api_key,
                username=settings.elasticsearch_username,
                password=settings.elasticsearch_password,
                ca_certs=(str(settings.elasticsearch_ca_certs)
                          if settings.elasticsearch_ca_certs else None),
            )
        except ValueError as e:
            raise BackendConfigError(f"elasticsearch search backend: {e}") from e

    def close(self) -> None:
        if self._owns_client:
            self.es.close()

    # -- errors -----------------------------------------------------------------------------
    @contextmanager
    def _engine(self, doing: str) -> Iterator[None]:
        """Turn "the engine cannot answer now" into :class:`BackendUnavailable`."""
        try:
            yield
        except BackendUnavailable:
            raise
        except TransportError as e:  # connection refused, timeout, TLS
            raise BackendUnavailable(f"{self.where} cannot be reached while {doing}: {e}") from e
        except ApiError as e:
            status = e.status_code
            if is_version_mismatch(e):
                raise BackendUnavailable(
                    f"{self.where} refused the client's API version while {doing} "
                    f"({error_text(e)}); install the elasticsearch client with the server's "
                    "major version"
                ) from e
            if status in (401, 403):
                raise BackendUnavailable(
                    f"{self.where} refused the credentials while {doing} ({error_text(e)}); "
                    "check CCP_ELASTICSEARCH_API_KEY or CCP_ELASTICSEARCH_USERNAME/_PASSWORD"
                ) from e
            if status == 429 or (isinstance(status, int) and status >= 500):
                raise BackendUnavailable(
                    f"{self.where} failed while {doing}: {error_text(e)}"
                ) from e
            raise

    # -- indices and the alias --------------------------------------------------------------
    def _new_index_name(self) -> str:
        return f"{self.index}-{datetime.now(timezone.utc).strftime(TIMESTAMP_FORMAT)}"

    def _create_index(self, name: str, *, building: bool) -> None:
        body = index_body(building=building, vector_dims=self.vector_dims)
        self.es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])

    def _alias_targets(self) -> list[str]:
        """The indices the alias points at ([] when it does not exist)."""
        try:
            return sorted(self.es.indices.get_alias(name=self.index).body)
        except NotFoundError:
            return []

    def _check_no_index_named_like_alias(self) -> None:
        if self.es.indices.exists(index=self.index) and not self.es.indices.exists_alias(
            name=self.index
        ):
            raise BackendUnavailable(
                f"{self.where}: an index named {self.index!r} exists where the portal's alias "
                "should be; delete or rename it, or choose another CCP_ELASTICSEARCH_INDEX"
            )

    def _ensure_index(self) -> None:
        """Create the first index behind the alias when there is none yet."""
        if self.es.indices.exists_alias(name=self.index):
            return
        self._check_no_index_named_like_alias()
        name = self._new_index_name()
        self._create_index(name, building=False)
        try:
            self.es.indices.update_aliases(
                actions=[{"add": {"index": name, "alias": self.index}}]
            )
        except BaseException:
            self._delete_quietly(name)
            raise
        log.info("created Elasticsearch index %s behind alias %s", name, self.index)

    def _delete_quietly(self, name: str) -> None:
        try:
            self.es.indices.delete(index=name)
        except (ApiError, TransportError) as e:
            log.warning("could not delete Elasticsearch index %s: %s", name, error_text(e))

    def _own_indices(self) -> list[str]:
        """Indices this backend built (``<index>-<timestamp>``), live or not."""
        try:
            names = self.es.indices.get(
                index=f"{self.index}-*", expand_wildcards="open,closed"
            ).body
        except NotFoundError:
            return []
        return sorted(n for n in names if self._index_re.fullmatch(n))

    # -- reading ----------------------------------------------------------------------------
    def exists(self) -> bool:
        with self._engine("looking for the index"):
            return bool(self._alias_targets())

    def count(self) -> int:
        with self._engine("counting documents"):
            try:
                return int(self.es.count(index=self.index)["count"])
            except NotFoundError:
                return 0

    def ids(self) -> set[str]:
        out: set[str] = set()
        after: list[Any] | None = None
        with self._engine("listing ids"):
            while True:
                body: dict[str, Any] = {
                    "query": {"match_all": {}},
                    "size": MAX_RESULT_WINDOW,
                    "sort": [{"id": {"order": "asc"}}],
                    "_source": False,
                    "track_total_hits": False,
                }
                if after is not None:
                    body["search_after"] = after
                try:
                    hits = self.es.search(index=self.index, body=body)["hits"]["hits"]
                except NotFoundError:
                    return out
                out.update(h["_id"] for h in hits)
                if len(hits) < MAX_RESULT_WINDOW:
                    return out
                after = hits[-1]["sort"]

    def health(self) -> tuple[bool, str]:
        try:
            with self._engine("checking health"):
                info = self.es.info()
                cluster = self.es.cluster.health()
                status = cluster.get("status", "unknown")
                version = info.get("version", {}).get("number", "?")
                targets = self._alias_targets()
                where = f"{self.where} ({version}), cluster {cluster.get('cluster_name')} {status}"
                if not targets:
                    return False, (f"{where}: no index behind alias {self.index!r} yet "
                                   "(the first indexing run or a rebuild creates it)")
                n = self.count()
                schema = (
                    self.es.indices.get_mapping(index=self.index).body.get(targets[0], {})
                    .get("mappings", {}).get("_meta", {}).get("ccp_schema")
                )
        except BackendUnavailable as e:
            return False, str(e)
        except ApiError as e:
            return False, f"{self.where}: {error_text(e)}"
        message = f"{where}; alias {self.index} -> {', '.join(targets)}: {n} documents"
        if schema != SCHEMA_VERSION:
            return False, (f"{message}; built with schema version {schema}, this version needs "
                           f"{SCHEMA_VERSION}: rebuild the index")
        return status in ("green", "yellow"), message

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        if query.now is None and (query.open or query.upcoming or query.sort == "deadline"):
            # one moment for every request of this search (a deep page takes several)
            query = replace(query, now=query.restrictions().now)
        parsed = parse_user_query(query.text) if query.text else UserQuery()
        results = answer_leniently(
            query, parsed, lambda plan: self._search_plan(query, plan),
            self._vocabulary)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _search_plan(self, query: SearchQuery, plan: TextPlan | None) -> SearchResults:
        """One search of a plan (its strictness is what ``plan`` says; the words come from the
        query, cut to the clause budget when the cluster refuses more)."""
        relax = plan.relax if plan is not None else None
        max_clauses = MAX_QUERY_CLAUSES
        with self._engine("searching"):
            while True:
                try:
                    resp = self._search(query, max_clauses, relax)
                    break
                except NotFoundError:
                    resp = None
                    break
                except ApiError as e:
                    # Words that analyse into many tokens can still exceed the cluster's clause
                    # limit: search with fewer of them rather than fail.
                    if e.status_code == 400 and is_too_many_clauses(e) and max_clauses > 1:
                        max_clauses //= 2
                        log.warning("query too large for Elasticsearch, retrying with its "
                                    "first %d words: %r", max_clauses, query.text)
                        continue
                    raise BackendUnavailable(
                        f"{self.where} could not answer the query: {error_text(e)}"
                    ) from e
        if resp is None:
            return SearchResults(total=0, hits=[], facets={f: [] for f in FACETS}, query=query)
        return SearchResults(
            total=int(resp["hits"]["total"]["value"]),
            hits=self._hits(resp["hits"]["hits"], by_date=sorted_by_date(
                query, parse_user_query(query.text) if query.text else UserQuery())),
            facets=facets_from_aggregations(resp.get("aggregations") or {}, query.facet_size),
            query=query,
            lexical_total=lexical_total(resp.get("aggregations") or {}),
        )

    def _vocabulary(self, words: list[str]) -> dict[str, tuple[int, list[tuple[str, int]]]]:
        """Per folded word: how many documents contain it, and the index terms the term
        suggester finds near it (summed over the folded fields)."""
        with self._engine("looking for spelling suggestions"):
            try:
                resp = self.es.search(index=self.index, body=compile_vocabulary(words)).body
            except NotFoundError:
                return {}
            except ApiError as e:
                log.warning("no spelling suggestions from %s: %s", self.where, error_text(e))
                return {}
        return vocabulary_from_response(words, resp)

    def suggest_titles(self, prefix: str, limit: int) -> list[Hit]:
        """``match_phrase_prefix`` on the folded title (the last word's completions from the
        term dictionary, at most 50), live resources only; titles starting with the words
        first."""
        text = " ".join((prefix or "").split())
        if not text or limit <= 0:
            return []
        body = {
            "size": min(limit * 3, 100),
            "query": {"bool": {
                "must": [{"match_phrase_prefix": {"title": {"query": text,
                                                            "max_expansions": 50}}}],
                "filter": [{"term": {"live": True}}],
            }},
            "_source": {"includes": ["view"]},
        }
        with self._engine("suggesting titles"):
            try:
                raw = self.es.search(index=self.index, body=body).body["hits"]["hits"]
            except NotFoundError:
                return []
        hits = [Hit(id=h["_id"], score=h.get("_score"),
                    doc=(h.get("_source") or {}).get("view") or {"id": h["_id"]}) for h in raw]
        start = text.casefold()
        hits.sort(key=lambda h: (not (h.doc.get("title") or "").casefold().startswith(start),
                                 -(h.score or 0.0), len(h.doc.get("title") or "")))
        return hits[:limit]

    def _search(self, query: SearchQuery, max_clauses: int, relax: str | None = None
                ) -> dict[str, Any]:
        if query.effective_sort == "deadline":
            return self._deadline_search(query, max_clauses, relax)
        if query.offset + query.per_page <= self.result_window:
            body = compile_query(query, max_clauses=max_clauses, relax=relax)
            return self.es.search(index=self.index, body=body).body
        return self._deep_search(query, max_clauses, relax)

    def _deadline_search(self, query: SearchQuery, max_clauses: int, relax: str | None = None
                         ) -> dict[str, Any]:
        """A page sorted by deadline (queries.deadline_bodies): the open calls' page, filled up
        from the rest; one response as Elasticsearch would give it."""
        first, rest = deadline_bodies(
            compile_query(query, max_clauses=max_clauses, relax=relax), query)
        resp = self._page_of(first, query.offset, query.per_page)
        hits = list(resp["hits"]["hits"])
        n_open = int(resp["hits"]["total"]["value"])
        more = self._page_of(rest, max(0, query.offset - n_open), query.per_page - len(hits))
        hits += more["hits"]["hits"]
        total = n_open + int(more["hits"]["total"]["value"])
        return {**resp, "hits": {**resp["hits"], "hits": hits, "total": {"value": total}}}

    def _page_of(self, body: dict[str, Any], offset: int, size: int) -> dict[str, Any]:
        """``size`` hits of ``body`` from ``offset``: with from/size inside the result window,
        else walking to ``offset`` with search_after in a point in time (``body`` sorts on a
        unique tie-breaker, the id, so that the walk is exact)."""
        body = {k: v for k, v in body.items() if k not in ("from", "search_after")}
        if offset + size <= self.result_window:
            return self.es.search(index=self.index, body={**body, "from": offset,
                                                          "size": size}).body
        pit_id = self.es.open_point_in_time(index=self.index, keep_alive=PIT_KEEP_ALIVE)["id"]
        try:
            cursor: list[Any] | None = None
            remaining = offset
            while remaining > 0:
                step = cursor_of(body, size=min(remaining, self.result_window),
                                 search_after=cursor)
                step["pit"] = {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
                resp = self.es.search(body=step).body
                pit_id = resp.get("pit_id", pit_id)
                found = resp["hits"]["hits"]
                if found:
                    cursor = found[-1]["sort"]
                    remaining -= len(found)
                if len(found) < step["size"]:
                    break
            last = {**body, "size": size if remaining <= 0 else 0,
                    "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}}
            if cursor is not None:
                last["search_after"] = cursor
            return self.es.search(body=last).body
        finally:
            try:
                self.es.close_point_in_time(id=pit_id)
            except (ApiError, TransportError) as e:
                log.warning("could not close an Elasticsearch point in time: %s", error_text(e))

    def _deep_search(self, query: SearchQuery, max_clauses: int, relax: str | None = None
                     ) -> dict[str, Any]:
        """A page beyond the result window: walk to it with search_after in a point in time."""
        body = compile_query(query, max_clauses=max_clauses, relax=relax)
        return self._page_of(body, query.offset, query.per_page)

    def _hits(self, raw_hits: list[dict[str, Any]], *, by_date: bool) -> list[Hit]:
        hits = []
        for raw in raw_hits:
            source = raw.get("_source") or {}
            view = source.get("view") or {"id": raw["_id"]}
            if (raw.get("fields") or {}).get("listing") == [True]:  # a light hit's flag
                view = {**view, "listing": True}
            score = raw.get("_score")
            hits.append(
                Hit(
                    id=view.get("id", raw["_id"]),
                    score=None if by_date or score is None else float(score),
                    doc=view,
                    snippet=hit_snippet(raw, view, source.get("lead") or ""),
                )
            )
        return hits
