"""The pages: search, resource, Atom feed of a search, and the health check."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from flask_babel import gettext as _

from indexer.backends.base import INDEX_MISSING, BackendUnavailable
from indexer.query import MAX_PAGE, MAX_PER_PAGE
from indexer.resource import Resource

from . import atom, ics, jsonld, ui_settings
from .app_services import services
from .i18n import LOCALES, language_name, ui_language, user_languages
from .searching import RESOURCE_ID_RE, run_search
from .facts_view import facts_view
from .present import (
    FACET_HEADINGS,
    Labels,
    chips,
    concept_text,
    display_date,
    facet_groups,
    format_number,
    host_of,
    merge_label,
    safe_href,
    theme_labels,
)
from .state import pagination

log = logging.getLogger(__name__)

bp = Blueprint("portal", __name__)



@bp.get("/")
@bp.get("/search")
def search():
    run = run_search()
    state, results = run.state, run.results
    query = state.query
    cfg = current_app.config
    return render_template(
        "search.html",
        query=query,
        state=state,
        results=results,
        hits=run.hits(),
        facets=facet_groups(results, state, run.labels),
        facet_visible=int(cfg["CCP_FACET_VISIBLE"]),
        chips=chips(state, run.labels),
        pages=pagination(query.page, results.pages, int(cfg["CCP_PAGINATION_WINDOW"])),
        past_the_end=query.page > results.pages,
        first_shown=query.offset + 1,
        last_shown=query.offset + len(results.hits),
        took_ms=results.took_ms,
        atom_url=state.url(path=url_for("portal.search_atom"), page=1),
        api_url=state.url(path=url_for("api.search")),
        expansion=list(getattr(results, "expansion", None) or []),
        mine=my_languages_link(state, results),
        events_ics_url=ics.events_url(run),
    )


def my_languages_link(state, results) -> dict[str, Any]:
    """Issue 10: "only results in my languages", one click away (the ``language`` filter with
    the user's languages, in the URL); offered when other languages are among the results and
    no language filter is chosen yet. Nothing is hidden until the user asks."""
    mine = user_languages()
    if state.query.filters.get("language"):
        return {}
    found = {v.value for v in results.facets.get("language", [])}
    if not found - set(mine) or not found & set(mine):
        return {}
    filters = {k: list(v) for k, v in state.query.filters.items()}
    filters["language"] = [code for code in mine if code in found]
    return {"url": state.url(filters=filters, page=1),
            "names": [language_name(code) for code in filters["language"]]}


@bp.get("/search.atom")
def search_atom():
    """The search as a feed: always newest first (a subscriber wants what is new, whatever
    the relevance) and CCP_FEED_SIZE entries, whatever sort or page size the URL carries."""
    feed_size = int(current_app.config["CCP_FEED_SIZE"])
    per_page = min(feed_size, MAX_PER_PAGE)
    run = run_search(overrides={"sort": "date", "page": 1, "per_page": per_page})
    page = 1
    while len(run.results.hits) < min(feed_size, run.results.total) and page < MAX_PAGE:
        page += 1
        more = services().searcher.search(replace(run.state.query, page=page))
        if not more.hits:
            break
        run.results.hits.extend(more.hits)
    body = atom.render_feed(
        run,
        feed_size=feed_size,
        portal_name=current_app.config["CCP_PORTAL_NAME"],
        self_url=request.url,
        html_url=url_for("portal.search", _external=True) + _qs(run.state.url(page=1)),
        resource_url=lambda rid: url_for("portal.resource", resource_id=rid, _external=True),
    )
    return Response(body, mimetype="application/atom+xml")


def _qs(url: str) -> str:
    return url[url.index("?"):] if "?" in url else ""


def stored_resource(resource_id: str) -> Resource:
    """The catalogue's resource with this id; 404 when the id cannot exist or is not stored."""
    if not RESOURCE_ID_RE.match(resource_id):
        abort(404)
    res = services().catalogue.get_resource(resource_id)
    if res is None:
        abort(404)
    return res


@bp.get("/resource/<resource_id>")
def resource(resource_id: str):
    res = stored_resource(resource_id)
    labels = Labels(services().source_names(), theme_labels())
    view = resource_view(res, labels)
    # why each place joined this resource ("near-duplicate of …: resemblance 0.91 / …")
    reasons = services().catalogue.instance_merge_reasons(res.id)
    view["merges_shown"] = True
    view["translations"] = translation_links(_stored_translations(res.id))
    view["jsonld"] = jsonld.for_page(res)  # schema.org, in the page's <head>
    for inst in view["instances"]:
        why = reasons.get((inst["source_id"], inst["url"]))
        inst["merged"] = merge_label(why) if why else None
    return render_template("resource.html", r=view)


def resource_view(r: Resource, labels: Labels) -> dict[str, Any]:
    excerpt_chars = int(current_app.config["CCP_EXCERPT_CHARS"])
    body = (r.body or "").strip()
    excerpt, truncated = _paragraphs(body, excerpt_chars)
    instances = sorted(
        r.instances,
        key=lambda i: (i.status != "live", i.first_seen.isoformat() if i.first_seen else ""),
    )

    def _iso(dt):
        return dt.isoformat().replace("+00:00", "Z") if dt else None

    return {
        "id": r.id,
        "no_text_layer": "no-text-layer" in (getattr(r, "flags", None) or ()),
        "title": (r.title or "").strip() or host_of(r.url) or _("Untitled"),
        "url": r.url,
        "href": safe_href(r.url),
        "host": host_of(r.url),
        "summary": r.summary or "",
        "excerpt": excerpt,
        "excerpt_truncated": truncated,
        "publisher": r.publisher,
        "authors": list(r.authors),
        "published": _iso(r.published),
        "updated": _iso(r.updated),
        "harvested_at": _iso(r.harvested_at),
        "language": r.language,
        "language_label": labels("language", r.language) if r.language else None,
        "type": r.type,
        "type_label": labels("type", r.type) if r.type else None,
        "type_description": concept_text("type", r.type, "descriptions") if r.type else None,
        "themes": [{"value": t, "label": labels("theme", t),
                    "description": concept_text("theme", t, "descriptions")} for t in r.themes],
        "countries": [{"value": c, "label": labels("country", c)} for c in r.countries],
        "cities": r.cities,
        # deadline, event dates, places with links to /search?city=… (search_ui/facts_view)
        "facts": facts_view(r),
        "format": r.format,
        "licence": r.licence,
        "is_live": r.is_live,
        "ics_url": url_for("ics.resource_event", resource_id=r.id) if r.event_start else None,
        "translations": [],
        "instances": [
            {
                "source_id": i.source_id,
                "source_name": labels("source", i.source_id),
                "url": i.url,
                "href": safe_href(i.url),
                "first_seen": _iso(i.first_seen),
                "last_seen": _iso(i.last_seen),
                "status": i.status,
            }
            for i in instances
        ],
    }


def _stored_translations(rid: str) -> list[dict[str, Any]]:
    """The catalogue's translations of a resource (pages declaring each other by hreflang);
    none when the catalogue cannot say (the page shows without them)."""
    try:
        return list(services().catalogue.translations(rid))
    except Exception as exc:
        log.warning("translations of %s unavailable: %s", rid, exc)
        return []


def translation_links(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"Also in: …": each translation ({"language", "url", "resource_id"}) named by its language
    in the interface language, linked to its page here when harvested, else to its address."""
    out = []
    for t in found:
        lang, rid = t.get("language"), t.get("resource_id")
        href = (url_for("portal.resource", resource_id=rid) if rid and RESOURCE_ID_RE.match(rid)
                else safe_href(t.get("url")))
        if lang and href:
            out.append({"language": lang, "name": language_name(lang.split("-")[0]),
                        "href": href, "title": t.get("title")})
    return out


def _paragraphs(text: str, limit: int) -> tuple[list[str], bool]:
    """Readable paragraphs of at most ``limit`` characters in all."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\r\n\s*\r\n", text)]
    paras = [p for p in paras if p]
    if len(paras) == 1 and len(paras[0]) > 600 and "\n" in text:  # one newline per paragraph
        paras = [" ".join(p.split()) for p in text.splitlines() if p.strip()]
    out: list[str] = []
    used = 0
    for p in paras:
        if used + len(p) > limit:
            room = limit - used
            if room > 80:
                cut = p[:room].rsplit(" ", 1)[0]
                out.append(cut.rstrip(" ,.;:") + "…")
            return out, True
        out.append(p)
        used += len(p)
    return out, False


@bp.get("/healthz")
def healthz():
    svc = services()
    try:
        cat_ok, cat_msg = svc.catalogue.health()
    except Exception as exc:
        cat_ok, cat_msg = False, f"catalogue error: {exc}"
    try:
        idx_ok, idx_msg = svc.backend.health()
        if not idx_ok and not svc.backend.exists():
            idx_msg = f"{INDEX_MISSING} ({idx_msg})"
    except BackendUnavailable as exc:
        idx_ok, idx_msg = False, str(exc)
    except Exception as exc:
        idx_ok, idx_msg = False, f"index error: {exc}"
    ok = bool(cat_ok and idx_ok)
    resp = jsonify(
        {"status": "ok" if ok else "unavailable", "catalogue": cat_msg, "index": idx_msg}
    )
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    if not ok:
        resp.headers["Retry-After"] = str(current_app.config["CCP_RETRY_AFTER"])
    return resp


def number(value: Any, decimals: int = 0) -> str:
    """A number for the interface's locale: ``12,345`` / ``12 345`` / ``12.345``; ``1.5``."""
    return format_number(value, decimals, LOCALES.get(ui_language(), "en"))


def portal_tagline() -> str:
    """The configured tagline; the shipped one in the interface language."""
    tagline = current_app.config["CCP_PORTAL_TAGLINE"]
    if tagline == ui_settings.DEFAULT_TAGLINE:
        return _(ui_settings.DEFAULT_TAGLINE)
    return tagline


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["safe_href"] = safe_href
    app.jinja_env.filters["display_date"] = display_date
    app.jinja_env.filters["num"] = number
    app.jinja_env.globals["facet_headings"] = FACET_HEADINGS

    @app.context_processor
    def _portal() -> dict[str, Any]:
        cfg = current_app.config
        return {"portal_name": cfg["CCP_PORTAL_NAME"], "portal_tagline": portal_tagline()}
