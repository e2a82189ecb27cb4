"""What lets others find and reuse the portal: ``/robots.txt``, ``/sitemap.xml`` (and its
children), the OpenSearch description ``/opensearch.xml`` and the suggestions of
``/api/suggest`` (OpenSearch suggestions, also behind the search box's autocomplete)."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from indexer.query import MAX_QUERY_LENGTH

from . import sitemaps
from .app_services import services
from .i18n import UI_LANGUAGES, base_script_root, ui_language
from .present import Labels, concept_text, theme_labels
from .suggest import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PREFIX,
    concepts_with_prefix,
    places_with_prefix,
)
from .suggest import (
    titles as titles_of,
)

bp = Blueprint("discovery", __name__)

SUGGESTIONS_TYPE = "application/x-suggestions+json"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"


def _root() -> str:
    """The portal's absolute root without a language segment, no trailing slash."""
    return request.host_url.rstrip("/") + base_script_root()


@bp.app_template_global("website_jsonld")
def website_jsonld():
    """The front page's schema.org WebSite with its SearchAction, for the template."""
    from .jsonld import script_json, website
    from .views import portal_tagline

    root = _root() + "/"
    return script_json(website(current_app.config["CCP_PORTAL_NAME"], root,
                               url_for("portal.search", _external=True), portal_tagline()))


# -- robots.txt -----------------------------------------------------------------------------------
@bp.get("/robots.txt")
def robots():
    """Crawlers may read the resource pages (and the front page), not the admin, nor the
    endless combinations of search filters, pages and sorts, in any interface language.
    ``/oai`` is allowed: the OAI-PMH provider is there to be harvested (its resumption tokens
    end every list), and harvesters that obey robots.txt — the portal's own among them — must
    be able to read it."""
    lines = ["User-agent: *", "Allow: /oai", "Allow: /oai?", "Allow: /resource/"]
    lines += [f"Allow: /{code}/resource/" for code in UI_LANGUAGES]
    lines += ["Allow: /$", "Disallow: /admin", "Disallow: /search", "Disallow: /api/search",
              "Disallow: /api/suggest"]
    for code in UI_LANGUAGES:
        lines += [f"Disallow: /{code}/admin", f"Disallow: /{code}/search"]
    lines += ["Disallow: /*?", "", f"Sitemap: {_root()}/sitemap.xml", ""]
    resp = Response("\n".join(lines), mimetype="text/plain")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


# -- sitemap.xml ----------------------------------------------------------------------------------
def _sitemap_size() -> int:
    size = current_app.config.get("CCP_SITEMAP_SIZE") or sitemaps.MAX_URLS
    if not isinstance(size, int) or not 1 <= size <= sitemaps.MAX_URLS:
        raise ValueError(f"CCP_SITEMAP_SIZE must be a whole number from 1 to {sitemaps.MAX_URLS}")
    return size


def _resource_url_pattern() -> str:
    return url_for("portal.resource", resource_id="RESOURCEID", _external=True).replace(
        "RESOURCEID", "{id}")


@bp.get("/sitemap.xml")
def sitemap():
    engine = services().catalogue.engine
    size = _sitemap_size()
    count = sitemaps.children(sitemaps.resource_count(engine), size)
    if count:
        urls = [url_for("discovery.sitemap_child", number=n, _external=True)
                for n in range(1, count + 1)]
        return _xml(sitemaps.sitemap_index(urls))
    home = url_for("portal.search", _external=True).removesuffix("search")
    body = sitemaps.urlset(sitemaps.iter_pages(engine), _resource_url_pattern(), (home,))
    return _xml(stream_with_context(body))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_child(number: int):
    engine = services().catalogue.engine
    size = _sitemap_size()
    if number < 1 or not sitemaps.children(sitemaps.resource_count(engine), size):
        abort(404)
    bounds = sitemaps.slice_bounds(engine, number, size)
    if bounds is None:
        abort(404)
    start, stop = bounds
    body = sitemaps.urlset(sitemaps.iter_pages(engine, start, stop), _resource_url_pattern())
    return _xml(stream_with_context(body))


def _xml(body) -> Response:
    resp = Response(body, mimetype="application/xml")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


# -- OpenSearch -----------------------------------------------------------------------------------
def _short_name(name: str) -> str:
    """OpenSearch's ShortName holds at most 16 characters: whole words of the name."""
    if len(name) <= 16:
        return name
    out = ""
    for word in name.split():
        if len((out + " " + word).strip()) > 16:
            break
        out = (out + " " + word).strip()
    return out or name[:16]


@bp.get("/opensearch.xml")
def opensearch():
    cfg = current_app.config
    root = _root()
    name = cfg["CCP_PORTAL_NAME"]
    templates = [
        ("text/html", "results", f"{root}/search?q={{searchTerms}}&page={{startPage?}}", 'pageOffset="1"'),
        ("application/atom+xml", "results", f"{root}/search.atom?q={{searchTerms}}", ""),
        ("application/json", "results",
         f"{root}/api/search?q={{searchTerms}}&page={{startPage?}}&per_page={{count?}}",
         'pageOffset="1"'),
        (SUGGESTIONS_TYPE, "suggestions", f"{root}/api/suggest?q={{searchTerms}}", ""),
        (OPENSEARCH_TYPE, "self", f"{root}/opensearch.xml", ""),
    ]
    urls = "".join(
        f'  <Url type="{kind}" rel="{rel}" method="get" template={quoteattr(tpl)}'
        f'{" " + extra if extra else ""}/>\n'
        for kind, rel, tpl, extra in templates
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OpenSearchDescription xmlns="{OPENSEARCH_NS}">\n'
        f"  <ShortName>{escape(_short_name(name))}</ShortName>\n"
        f"  <LongName>{escape(name)}</LongName>\n"
        f"  <Description>{escape(str(_('Search %(name)s', name=name)))}</Description>\n"
        f'  <Image type="image/svg+xml" width="32" height="32">'
        f'{escape(url_for("static", filename="logo.svg", _external=True))}</Image>\n'
        f"{urls}"
        '  <Query role="example" searchTerms="circular procurement"/>\n'
        "  <InputEncoding>UTF-8</InputEncoding>\n"
        "  <OutputEncoding>UTF-8</OutputEncoding>\n"
        "  <Language>*</Language>\n"
        "</OpenSearchDescription>\n"
    )
    resp = Response(body, mimetype=OPENSEARCH_TYPE)
    resp.headers["Cache-Control"] = "public, max-age=86400"
    resp.vary.update(("Accept-Language", "Cookie"))
    return resp


# -- suggestions ----------------------------------------------------------------------------------
def _limit() -> int:
    raw = (request.args.get("limit") or "").strip()
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_LIMIT:
        from indexer.query import QueryError

        raise QueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}", "whole_number",
                         name="limit", n=MAX_LIMIT)
    return int(raw)


@bp.get("/api/suggest")
def suggest():
    """``[q, [completions], [descriptions], [urls]]`` for what has been typed so far."""
    limit = _limit()
    q = request.args.get("q") or ""
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH]
    prefix = " ".join(q[:MAX_PREFIX].split())
    rows = suggestions(prefix, limit) if prefix else []
    body = [q, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]]
    resp = Response(json.dumps(body, ensure_ascii=False), mimetype=SUGGESTIONS_TYPE)
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.vary.update(("Accept-Language", "Cookie"))  # descriptions in the interface language
    return resp


def suggestions(prefix: str, limit: int) -> list[tuple[str, str, str]]:
    """(completion, description, URL) for ``prefix``: concepts named by their label, places,
    titles, then concepts found by a keyword; no completion twice (case and accents aside)."""
    lang = ui_language()
    labels = Labels(services().source_names(), theme_labels(), lang)
    search = url_for("portal.search", _external=True)
    heading = {"type": _("Type"), "theme": _("Theme")}
    concepts = concepts_with_prefix(prefix, limit)
    named = [(concept_text(c.kind, c.value, lang=c.language) or c.text,
              f"{heading[c.kind]}: {labels(c.kind, c.value)}",
              f"{search}?{urlencode({c.kind: c.value})}") for c in concepts if c.label]
    kinds = {"city": _("City"), "region": _("Region"), "country": _("Country")}
    places = []
    for p in places_with_prefix(prefix, lang, limit):
        where = labels("country", p.country) if p.kind != "country" and p.country else ""
        places.append((p.name, ", ".join(x for x in (kinds.get(p.kind, _("Place")), where) if x),
                       f"{search}?{urlencode({'q': p.name})}"))
    titles = [(title, labels("type", kind) if kind else "",
               url_for("portal.resource", resource_id=rid, _external=True))
              for rid, title, kind in titles_of(services().backend, services().catalogue.engine,
                                                prefix, limit)]
    keywords = [(c.text, f"{heading[c.kind]}: {labels(c.kind, c.value)}",
                 f"{search}?{urlencode({'q': c.text})}") for c in concepts if not c.label]
    # a few of each kind first, so that no kind crowds the others out; then the rest in turn
    share = max(1, limit // 3)
    room = max(1, limit - 2 * share)
    found = named[:share] + places[:share] + titles[:room]
    found += named[share:] + places[share:] + titles[room:] + keywords
    return _distinct(found, limit)


def _distinct(rows: list[tuple[str, str, str]], limit: int) -> list[tuple[str, str, str]]:
    from .suggest import fold

    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    for row in rows:
        key = fold(row[0])
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
        if len(out) >= limit:
            break
    return out
