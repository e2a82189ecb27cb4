"""Source discovery for ``ccp sources add URL`` and the admin's "add a source".

Given a URL, find what it offers, best first: the URL itself as a feed; feeds the page links
to (``<link rel="alternate">``); sitemaps listed in the host's robots.txt or at
``/sitemap.xml`` (restricted to the URL's section); else a crawl of that section. Every
candidate is checked by fetching it (through Scrapy, in a child process, robots.txt obeyed).
The preview then harvests the first few items of the chosen candidate with the real pipeline
into a scratch data directory, and flags those the catalogue already holds.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import yaml

from config import Settings, load_sources
from config.netpolicy import check_url
from config.models import SOURCE_ADAPTER
from indexer.catalogue import Catalogue

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/json", "application/rdf+xml", "text/xml", "application/xml")


# what a page may link to as its DCAT catalogue (<link rel="alternate" type=…>)
DCAT_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples")


@dataclass
class Candidate:
    definition: dict[str, Any]  # a source definition (without id/name until chosen)
    how: str  # how it was found, for the operator
    items: int = 0  # entries/URLs seen when checking it


@dataclass
class Discovery:
    url: str
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was tried and why it failed

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "notes": self.notes,
                "candidates": [{"definition": c.definition, "how": c.how, "items": c.items}
                               for c in self.candidates]}


def _section_prefix(url: str) -> str:
    p = urlparse(url)
    path = p.path or "/"
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    return f"{p.scheme}://{p.netloc}{path}"


def crawl_definition(url: str) -> dict[str, Any]:
    prefix = _section_prefix(url)
    esc = re.escape(prefix)
    return {
        "type": "crawl",
        "start_urls": [url],
        "follow": [f"^{esc}(\\?(.*&)?page=\\d+(&|$))"],
        "items": [f"^{esc}[^?#]+[^/]$"],
        "max_depth": 2,
    }


def dcat_candidate(body: bytes, url: str, headers: dict[str, str]) -> Candidate | None:
    """A ``dcat`` source when ``body`` is RDF describing a dcat:Catalog (or datasets)."""
    from indexer.dcat import RDF_TYPES, CatalogueError, parse_catalogue

    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in RDF_TYPES and b"http://www.w3.org/ns/dcat#" not in body[:65536]:
        return None
    try:
        page = parse_catalogue(body, url, ctype)
    except CatalogueError:
        return None
    if not page.is_catalogue and not page.datasets:
        return None
    count = page.total if page.total is not None else len(page.datasets)
    paged = ", Hydra-paged" if page.next_url else ""
    return Candidate({"type": "dcat", "url": url},
                     f"a DCAT catalogue: {page.title or url} ({count} datasets{paged})", count)


# -- catalogue APIs: a CKAN site, a JSON API listing records ---------------------------------
def ckan_roots(url: str) -> list[str]:
    """Where a CKAN site that ``url`` belongs to may have its root: the host's root, and the
    path before ``/api/`` or ``/dataset`` when CKAN is mounted below it."""
    p = urlparse(url)
    host = f"{p.scheme}://{p.netloc}/"
    roots = [host]
    m = re.match(r"^(/.*?/)(?:api/|dataset\b)", p.path or "/")
    if m and m.group(1) != "/":
        roots.insert(0, host.rstrip("/") + m.group(1))
    return roots


def ckan_candidate(root: str, body: bytes) -> Candidate | None:
    """A ``ckan`` source for the site at ``root`` when ``status_show`` answered as CKAN."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    result = data.get("result") if isinstance(data, dict) and data.get("success") is True \
        else None
    if not isinstance(result, dict) or "ckan_version" not in result:
        return None
    title = result.get("site_title") or root
    return Candidate({"type": "ckan", "url": root},
                     f"a CKAN {result['ckan_version']} site ({title}): its datasets' PDF and "
                     "HTML resources", 0)


def json_candidate(url: str, body: bytes, content_type: str) -> Candidate | None:
    """A ``json`` source when ``url`` answered JSON holding a list of records with URLs: the
    items path and the fields that could be mapped, guessed from the records' keys."""
    if "json" not in content_type and not body.lstrip()[:1] in (b"{", b"["):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    from .jsonapi import guess_mapping

    guess = guess_mapping(data)
    if guess is None:
        return None
    fields = ", ".join(f"{k} = {v}" for k, v in guess["fields"].items())
    return Candidate({"type": "json", "url": url, "items": guess["items"],
                      "fields": guess["fields"]},
                     f"a JSON API listing records at {guess['items']} ({fields}); check the "
                     "mapping and add paging if the API pages", guess["records"])


def _discover_child(url: str, settings: Settings, out: str) -> None:
    """Runs in a child process: a small Scrapy crawl that checks what the URL offers."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.gz import gunzip, gzip_magic_number
    from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

    from .feeds import NotAFeed, parse_feed
    from .http import describe_failure, scrapy_settings
    from .oaipmh_discover import OaiDiscoveryMixin

    result = Discovery(url=url)
    section = _section_prefix(url)

    def sitemap_items(body: bytes) -> tuple[str | None, list[str]]:
        try:
            sm = Sitemap(body)
        except Exception:  # noqa: BLE001
            return None, []
        return sm.type, [e["loc"] for e in sm if e.get("loc")]

    class DiscoverySpider(OaiDiscoveryMixin, scrapy.Spider):
        name = "ccp-discover"
        discovery, new_candidate = result, Candidate

        async def start(self):
            yield scrapy.Request(url, callback=self.page, errback=self.failed,
                                 meta={"what": "the page"})
            for root in ckan_roots(url):
                yield scrapy.Request(root + "api/3/action/status_show", callback=self.ckan,
                                     errback=lambda f: None, dont_filter=True,
                                     meta={"root": root})

        def ckan(self, response):
            found = ckan_candidate(response.meta["root"], response.body)
            if found is not None:
                yield scrapy.Request(
                    response.meta["root"] + "api/3/action/package_search?rows=0",
                    callback=self.ckan_count, errback=lambda f: None, dont_filter=True,
                    meta={"candidate": found})

        def ckan_count(self, response):
            found = response.meta["candidate"]
            try:
                found.items = int(json.loads(response.body)["result"]["count"])
            except (ValueError, KeyError, TypeError):
                pass
            if not any(c.definition == found.definition for c in result.candidates):
                result.candidates.append(found)

        def failed(self, failure):
            kind, message, _ = describe_failure(failure)
            result.notes.append(f"{failure.request.meta.get('what', failure.request.url)} "
                                f"({failure.request.url}): {message}")

        def page(self, response):
            oai = self.oai_probe(response)  # an OAI-PMH base URL: nothing else to look for
            if oai:
                yield from oai
                return
            headers = {k.decode().lower(): v[0].decode("latin-1")
                       for k, v in response.headers.items() if v}
            dcat = dcat_candidate(response.body, response.url, headers)
            if dcat is not None:
                result.candidates.append(dcat)
                return
            try:
                feed = parse_feed(response.body, response.url, headers)
                result.candidates.append(Candidate({"type": "feed", "url": response.url},
                                                   "the URL is a feed", len(feed.entries)))
                return
            except NotAFeed:
                pass
            records = json_candidate(response.url, response.body,
                                     headers.get("content-type", ""))
            if records is not None:
                result.candidates.append(records)
                return
            if isinstance(response, scrapy.http.TextResponse):
                links = response.xpath("//link[@rel='alternate' or @rel='feed']")
                for ln in links:
                    typ = (ln.attrib.get("type") or "").lower()
                    href = ln.attrib.get("href")
                    if href and (typ in FEED_TYPES or typ in DCAT_TYPES
                                 or ln.attrib.get("rel") == "feed"):
                        yield scrapy.Request(urljoin(response.url, href), callback=self.feed,
                                             errback=self.failed,
                                             meta={"what": "a feed linked from the page"})
                if not links:
                    result.notes.append("the page links to no feed (<link rel=\"alternate\">)")
            robots = urljoin(response.url, "/robots.txt")
            yield scrapy.Request(robots, callback=self.robots, errback=self.failed,
                                 dont_filter=True, meta={"what": "robots.txt"})

        def feed(self, response):
            headers = {k.decode().lower(): v[0].decode("latin-1")
                       for k, v in response.headers.items() if v}
            dcat = dcat_candidate(response.body, response.url, headers)
            if dcat is not None:
                result.candidates.append(dcat)
                return
            try:
                feed = parse_feed(response.body, response.url, headers)
            except NotAFeed as exc:
                result.notes.append(f"the linked feed {response.url} is not usable: {exc}")
                return
            result.candidates.append(Candidate(
                {"type": "feed", "url": response.url},
                f"feed linked from the page: {feed.title or response.url}", len(feed.entries)))

        def robots(self, response):
            urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
            if not urls:
                result.notes.append("robots.txt lists no sitemap; trying /sitemap.xml")
                urls = [urljoin(response.url, "/sitemap.xml")]
            for u in urls[:5]:
                yield scrapy.Request(u, callback=self.sitemap, errback=self.failed,
                                     meta={"what": "a sitemap", "robots": response.url})

        def sitemap(self, response):
            body = response.body
            if gzip_magic_number(response):
                try:
                    body = gunzip(body, max_size=settings.max_response_bytes)
                except Exception as exc:  # noqa: BLE001
                    result.notes.append(f"{response.url}: cannot decompress: {exc}")
                    return
            kind, locs = sitemap_items(body)
            if kind not in ("urlset", "sitemapindex"):
                result.notes.append(f"{response.url} is not a sitemap")
                return
            in_section = [u for u in locs if u.startswith(section)] if kind == "urlset" else locs
            definition: dict[str, Any] = {"type": "sitemap",
                                          "url": response.meta.get("robots", response.url)}
            if urlparse(section).path not in ("", "/"):
                definition["follow"] = [f"^{re.escape(section)}"]
            if kind == "urlset" and not in_section:
                result.notes.append(f"the sitemap {response.url} lists nothing under {section}")
                return
            how = ("sitemap listed in robots.txt" if response.meta.get("robots")
                   else "sitemap at /sitemap.xml")
            if kind == "sitemapindex":
                how += " (a sitemap index)"
            result.candidates.append(Candidate(definition, how, len(in_section)))

    conf = scrapy_settings(settings, {"ITEM_PIPELINES": {}, "LOG_ENABLED": False,
                                      "RETRY_TIMES": 1})
    process = CrawlerProcess(conf, install_root_handler=False)
    process.crawl(DiscoverySpider)
    process.start()
    Path(out).write_text(json.dumps(result.to_dict()), encoding="utf-8")


def discover(settings: Settings, url: str, *, timeout: float = 120.0) -> Discovery:
    """What ``url`` offers, best candidate first; a crawl of its section is always last.

    A URL the harvester may not fetch (not http(s), or a host resolving to an address outside
    ``CCP_ALLOWED_PRIVATE_ADDRESSES``) raises ValueError with the refusal, before any request.
    """
    refused = check_url(url, settings.allowed_private_addresses)
    if refused:  # before anything is fetched; every fetch below is guarded again
        raise ValueError(refused)
    with tempfile.TemporaryDirectory(prefix="ccp-discover-") as tmp:
        out = str(Path(tmp) / "result.json")
        mp = multiprocessing.get_context("spawn")
        child = mp.Process(target=_discover_child, args=(url, settings, out))
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join(5)
            return Discovery(url=url, notes=[f"discovery took longer than {timeout:g} s"])
        if not Path(out).exists():
            return Discovery(url=url, notes=[f"discovery failed (exit code {child.exitcode})"])
        data = json.loads(Path(out).read_text(encoding="utf-8"))
    result = Discovery(url=url, notes=data["notes"],
                       candidates=[Candidate(**c) for c in data["candidates"]])
    order = {"oai-pmh": -1, "ckan": -1, "dcat": 0, "feed": 0, "json": 0, "sitemap": 1, "crawl": 2}
    seen, unique = set(), []
    for c in sorted(result.candidates, key=lambda c: (order[c.definition["type"]], -c.items)):
        key = json.dumps(c.definition, sort_keys=True)
        if key not in seen and (c.items > 0 or c.definition["type"] != "feed"):
            seen.add(key)
            unique.append(c)
    page_answered = not any(n.startswith("the page (") for n in result.notes)
    is_provider = any(c.definition["type"] in ("oai-pmh", "json") for c in unique)
    if page_answered and not is_provider:
        unique.append(Candidate(crawl_definition(url),
                                "a crawl of this section (links under "
                                f"{_section_prefix(url)})", 0))
    result.candidates = unique
    return result


def suggest_id(url: str, existing: set[str], kind: str) -> str:
    host = urlparse(url).hostname or "source"
    parts = [p for p in host.split(".") if p not in ("www", "com", "org", "eu", "net")]
    base = "-".join(parts[-2:]) if parts else "source"
    base = re.sub(r"[^a-z0-9-]+", "-", f"{base}-{kind}".lower()).strip("-")[:50] or "source"
    sid, n = base, 2
    while sid in existing:
        sid, n = f"{base}-{n}", n + 1
    return sid


def build_definition(candidate: dict[str, Any], *, source_id: str, name: str | None = None,
                     **extra: Any) -> dict[str, Any]:
    """A complete, validated source definition from a candidate."""
    d = {"id": source_id, "name": name or source_id, **candidate,
         **{k: v for k, v in extra.items() if v is not None}}
    model = SOURCE_ADAPTER.validate_python(d)  # normalised: country upper-cased, etc.
    out = {"id": model.id, "name": model.name, "type": model.type}
    out.update(model.model_dump(mode="json", exclude_defaults=True,
                                exclude={"id", "name", "type"}))
    return out


@dataclass
class PreviewItem:
    title: str
    url: str
    date: str | None
    language: str | None
    type: str
    text_length: int
    duplicate_of: str | None  # "id — title" of an existing resource


def preview(settings: Settings, definition: dict[str, Any], *, items: int = 5,
            scrapy_overrides: dict[str, Any] | None = None
            ) -> tuple[list[PreviewItem], dict[str, Any]]:
    """Harvest the first ``items`` documents into a scratch directory, as they would be indexed.

    Returns the items and the scratch run's report (as a dict). Nothing touches the real
    catalogue except the duplicate look-ups.
    """
    from .run import run_harvest

    src = SOURCE_ADAPTER.validate_python({**definition, "max_items": items})
    scratch = Path(tempfile.mkdtemp(prefix="ccp-preview-"))
    try:
        ss = Settings.from_env(data_dir=str(scratch), sources=str(scratch / "sources"))
        for k in ("user_agent", "download_timeout", "max_response_bytes", "retry_times",
                  "download_delay", "concurrent_per_host", "allowed_private_addresses"):
            setattr(ss, k, getattr(settings, k))
        ss.search_backend = "embedded"
        report = run_harvest(ss, [src], trigger="preview", scrapy_overrides=scrapy_overrides)
        scratch_cat = Catalogue(ss.catalogue_url)
        found = list(scratch_cat.iter_resources())
        scratch_cat.close()
        main = Catalogue(settings.catalogue_url)
        main.create_all()
        out = []
        for r in found:
            dup = main.find_duplicate(r)
            out.append(PreviewItem(
                title=r.title, url=r.url,
                date=r.date.date().isoformat() if r.date else None, language=r.language,
                type=r.type, text_length=len(r.body),
                duplicate_of=f"{dup.id} — {dup.title}" if dup else None))
        main.close()
        return out, report.to_dict()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_source(settings: Settings, definition: dict[str, Any]) -> Path:
    """Write the source file (refusing to overwrite one); validated before writing."""
    SOURCE_ADAPTER.validate_python(definition)
    target_dir = settings.sources if settings.sources.suffix not in (".yaml", ".yml") \
        else settings.sources.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{definition['id']}.yaml"
    if path.exists():
        raise FileExistsError(f"{path} exists already")
    existing = {s.id for s in load_sources(target_dir)} if any(target_dir.glob("*.y*ml")) else set()
    if definition["id"] in existing:
        raise FileExistsError(f"a source with id {definition['id']!r} exists already")
    header = f"# Added with `ccp sources add` from {definition.get('url') or definition.get('start_urls', [''])[0]}\n"
    path.write_text(header + yaml.safe_dump(definition, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def discover_task(settings: Settings, args: dict[str, Any]) -> dict[str, Any]:
    """The admin's discovery task (run by the scheduler process): discovery + preview."""
    result = discover(settings, args["url"])
    out = result.to_dict()
    if result.candidates:
        chosen = result.candidates[min(int(args.get("candidate", 0)), len(result.candidates) - 1)]
        existing = {s.id for s in _safe_sources(settings)}
        sid = args.get("id") or suggest_id(args["url"], existing, chosen.definition["type"])
        definition = build_definition(chosen.definition, source_id=sid,
                                      name=args.get("name") or sid)
        items, report = preview(settings, definition)
        out["definition"] = definition
        out["preview"] = [i.__dict__ for i in items]
        out["preview_report"] = report
    return out


def _safe_sources(settings: Settings):
    try:
        return load_sources(settings.sources)
    except Exception:  # noqa: BLE001 - an invalid file elsewhere does not block discovery
        return []
