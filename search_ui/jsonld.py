"""schema.org JSON-LD for a resource page, so that search engines, Europeana-style aggregators
and anything reading linked data see what the page is about.

:func:`resource_jsonld` shapes a :class:`~indexer.resource.Resource` as a schema.org node (the
type chosen by the resource type, its places, themes, publisher, licence and every address it
was published at as ``sameAs``); :func:`script_json` writes it so that it is safe inside a
``<script type="application/ld+json">`` element whatever the harvested text holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup

from config.models import COUNTRIES
from indexer.resource import Resource

from .present import safe_href

SCHEMA = "https://schema.org/"

# resource type (config/taxonomy.yaml) -> schema.org type
SCHEMA_TYPES: dict[str, str | list[str]] = {
    "report": "Report",
    "strategy": "Report",
    "policy": "Report",
    "news": "NewsArticle",
    "good-practice": "Article",
    "guide": "CreativeWork",
    "event": "Event",
    # a call for proposals is a grant on offer and a published text: Grant says what it is,
    # CreativeWork lets it carry the text's properties (inLanguage, expires for the deadline)
    "funding": ["Grant", "CreativeWork"],
    "dataset": "Dataset",
}

MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html"}

_CC = re.compile(r"\bCC[\s-]*(BY(?:[\s-]+(?:NC|SA|ND))*)[\s-]*(\d\.\d)\b", re.I)
_CC0 = re.compile(r"\bCC[\s-]*0\b|\bCC[\s-]*zero\b", re.I)


def licence_url(licence: str | None) -> str | None:
    """A licence as a URL where it names one: an http(s) URL as given, a Creative Commons
    licence written as text (``CC BY-SA 4.0``, ``CC0``) as its deed; else None."""
    if not licence:
        return None
    text = licence.strip()
    if safe_href(text):
        return text
    if _CC0.search(text):
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    m = _CC.search(text)
    if m:
        parts = "-".join(p.lower() for p in re.split(r"[\s-]+", m.group(1)))
        return f"https://creativecommons.org/licenses/{parts}/{m.group(2)}/"
    return None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def place_node(place: Any) -> dict[str, Any] | None:
    """A place of the resource as schema.org: a city as a Place in its country, a country as
    a Country; with a GeoNames link when the place is known there."""
    country = getattr(place, "country", None)
    kind = getattr(place, "kind", None)
    city = getattr(place, "city", None) or (
        getattr(place, "name", None) if kind != "country" else None)
    country_name = COUNTRIES.get(country, country) if country else None
    if city:
        node: dict[str, Any] = {"@type": "AdministrativeArea" if kind == "region" and not
                                getattr(place, "city", None) else "Place", "name": city}
        if country:
            node["address"] = {"@type": "PostalAddress", "addressCountry": country}
            node["containedInPlace"] = {"@type": "Country", "name": country_name,
                                        "identifier": country}
    elif country == "EU":
        node = {"@type": "AdministrativeArea", "name": country_name, "identifier": "EU"}
    elif country:
        node = {"@type": "Country", "name": country_name, "identifier": country}
    else:
        return None
    geonameid = getattr(place, "geonameid", None)
    if geonameid:
        node["sameAs"] = f"https://sws.geonames.org/{int(geonameid)}/"
    return node


def resource_jsonld(
    r: Resource,
    *,
    page_url: str,
    portal_name: str,
    portal_url: str,
    theme_label: Callable[[str], str],
    description: str | None = None,
) -> dict[str, Any]:
    """The schema.org node of one resource page (``page_url`` is the portal's page of it)."""
    kind = SCHEMA_TYPES.get(r.type or "other", "CreativeWork")
    kinds = [kind] if isinstance(kind, str) else list(kind)
    creative = "Event" not in kinds
    node: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": kinds[0] if len(kinds) == 1 else kinds,
        "@id": page_url,
        "url": page_url,
        "name": (r.title or "").strip() or page_url,
    }
    text = (description if description is not None else r.summary or "").strip()
    if text:
        node["description"] = text
    same = [u for u in dict.fromkeys([r.url, *(i.url for i in r.instances)]) if safe_href(u)]
    if same:
        node["sameAs"] = same
    if r.language:
        node["inLanguage"] = r.language
    if r.themes:
        node["about"] = [
            {"@type": "DefinedTerm", "name": theme_label(t), "termCode": t,
             "inDefinedTermSet": {"@type": "DefinedTermSet", "@id": f"{portal_url}#themes",
                                  "name": f"{portal_name} themes"}}
            for t in r.themes
        ]
    places = [p for p in (place_node(p) for p in r.places) if p]
    organisation = {"@type": "Organization", "name": r.publisher} if r.publisher else None
    if creative:
        _creative_work(node, r, places, organisation)
    else:
        _event(node, r, places, organisation)
    node["isPartOf"] = {"@type": "WebSite", "@id": portal_url, "name": portal_name,
                        "url": portal_url}
    return node


def _creative_work(node: dict[str, Any], r: Resource, places: list[dict], organisation) -> None:
    if places:
        node["spatialCoverage"] = places
    if organisation:
        node["publisher"] = organisation
    if r.authors:
        node["author"] = [{"@type": "Person", "name": a} for a in r.authors]
    if r.published:
        node["datePublished"] = _iso(r.published)
    if r.updated:
        node["dateModified"] = _iso(r.updated)
    licence = licence_url(r.licence) or (r.licence or None)
    if licence:
        node["license"] = licence
    if (r.format or "html") in MEDIA_TYPES and r.format != "html":
        node["encodingFormat"] = MEDIA_TYPES[r.format]
    if r.deadline:  # a call's deadline: when the text stops being of use, and the last day to apply
        node["expires"] = _iso(r.deadline)
        node["potentialAction"] = {"@type": "ApplyAction", "endTime": _iso(r.deadline),
                                   "target": r.url}
        if organisation:
            node["funder"] = organisation


def _event(node: dict[str, Any], r: Resource, places: list[dict], organisation) -> None:
    if r.event_start:
        node["startDate"] = _iso(r.event_start)
    if r.event_end:
        node["endDate"] = _iso(r.event_end)
    if places:
        node["location"] = places[0] if len(places) == 1 else places
    if organisation:
        node["organizer"] = organisation
    node["subjectOf"] = {"@type": "WebPage", "url": r.url,
                         **({"datePublished": _iso(r.published)} if r.published else {})}


def script_json(data: Any) -> Markup:
    """JSON safe as the text of a ``<script>`` element: ``<``, ``>`` and ``&`` are written as
    JSON escapes, so a title holding ``</script>`` or ``<!--`` cannot end or bend the element,
    and the JSON means the same."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)


def for_page(r: Resource) -> Markup:
    """The JSON-LD of ``r``'s page in this request (absolute URLs, theme labels in the
    interface language), ready for the template."""
    from flask import current_app, request, url_for

    from .i18n import base_script_root
    from .present import concept_text, theme_labels

    labels = theme_labels()
    portal_url = request.host_url.rstrip("/") + base_script_root() + "/"
    node = resource_jsonld(
        r,
        page_url=url_for("portal.resource", resource_id=r.id, _external=True),
        portal_name=current_app.config["CCP_PORTAL_NAME"],
        portal_url=portal_url,
        theme_label=lambda t: concept_text("theme", t) or labels.get(t) or t,
    )
    return script_json(node)


def website(portal_name: str, portal_url: str, search_url: str, description: str) -> dict:
    """The portal as a schema.org WebSite with its search (a search engine may offer a search
    box for the site in its results)."""
    return {
        "@context": SCHEMA,
        "@type": "WebSite",
        "@id": portal_url,
        "url": portal_url,
        "name": portal_name,
        "description": description,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{search_url}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        },
    }
