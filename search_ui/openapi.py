"""The JSON API described in OpenAPI 3.1 (``/api/openapi.json``) and as a page (``/api/docs``).

The description is built from the same constants the API checks its input against (facets,
sorts, modes, limits of :mod:`indexer.query`), so a new facet or sort shows here by itself.
Schemas are JSON Schema 2020-12, as OpenAPI 3.1 has them; the tests check real answers
against them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from indexer.query import FACETS, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH, MODES, SORTS
from indexer.resource import PLACE_KINDS, PLACE_ORIGINS

from .suggest import MAX_LIMIT

bp = Blueprint("openapi", __name__, url_prefix="/api")

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
STRINGS = {"type": "array", "items": {"type": "string"}}
FLAG = {"type": "string", "enum": ["1", "0", "true", "false", "yes", "no", "on", "off"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


FACET_HELP = {
    "language": "ISO 639-1 code of the resource's language (nl, fr, …)",
    "type": "resource type (strategy, guide, good-practice, report, policy, funding, event, "
            "news, dataset, other)",
    "theme": "theme of the taxonomy (food-waste, construction, …)",
    "country": "ISO 3166 alpha-2 code of a country the resource is about, or EU",
    "source": "id of a source the resource was harvested from",
    "year": "year of the resource's date",
    "city": "a city the resource is about",
}


def search_parameters() -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": "q", "in": "query", "required": False,
         "description": "The words to search: \"a phrase\", -word to exclude, OR between "
                        "words. Empty: every resource, newest first.",
         "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH}},
    ]
    for facet in FACETS:
        params.append({
            "name": facet, "in": "query", "required": False, "style": "form", "explode": True,
            "description": f"Only resources with this {FACET_HELP.get(facet, facet)}; repeat "
                           "the parameter for several values (any of them).",
            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
        })
    params += [
        {"name": "page", "in": "query", "required": False, "description": "Page of results.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
        {"name": "per_page", "in": "query", "required": False,
         "description": "Results per page (default: the portal's page size).",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
        {"name": "sort", "in": "query", "required": False,
         "description": "relevance; date (newest first; an empty query sorts by date); "
                        "deadline (the call closing soonest first).",
         "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"}},
        {"name": "include_gone", "in": "query", "required": False,
         "description": "Also resources no longer published anywhere (1, true, yes, on).",
         "schema": FLAG},
        {"name": "open", "in": "query", "required": False,
         "description": "Only funding calls whose deadline has not passed (1, true, yes, on).",
         "schema": FLAG},
        {"name": "upcoming", "in": "query", "required": False,
         "description": "Only events that have not ended yet (1, true, yes, on).",
         "schema": FLAG},
        {"name": "date_from", "in": "query", "required": False,
         "description": "Only resources dated on or after this day (YYYY-MM-DD).",
         "schema": {"type": "string", "format": "date"}},
        {"name": "date_to", "in": "query", "required": False,
         "description": "Only resources dated on or before this day (YYYY-MM-DD).",
         "schema": {"type": "string", "format": "date"}},
        {"name": "mode", "in": "query", "required": False,
         "description": "hybrid: words and meaning; lexical: words only; dense: meaning only.",
         "schema": {"type": "string", "enum": list(MODES), "default": "hybrid"}},
    ]
    return params


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong, one line."}},
    },
    "Instance": {
        "type": "object", "required": ["source_id", "url"],
        "properties": {"source_id": {"type": "string"}, "url": {"type": "string"}},
    },
    "Result": {
        "type": "object",
        "required": ["id", "title", "url", "summary", "snippet", "language", "published", "date",
                     "type", "themes", "format", "countries", "deadline", "start", "end",
                     "places", "instances", "resource_url"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "Where it was first published."},
            "summary": {"type": "string"},
            "snippet": {"type": "string",
                        "description": "Escaped HTML with <mark> around the words found."},
            "language": NULLABLE_STRING,
            "published": NULLABLE_TIME,
            "date": NULLABLE_TIME,
            "type": NULLABLE_STRING,
            "themes": STRINGS,
            "format": NULLABLE_STRING,
            "countries": STRINGS,
            "deadline": {**NULLABLE_TIME, "description": "When a funding call closes (UTC)."},
            "start": {**NULLABLE_TIME, "description": "When an event starts (UTC)."},
            "end": {**NULLABLE_TIME, "description": "When an event ends (UTC)."},
            "places": {"type": "array", "items": _ref("Place")},
            "instances": {"type": "array", "items": _ref("Instance")},
            "resource_url": {"type": "string", "description": "The resource's page here."},
        },
    },
    "FacetValue": {
        "type": "object", "required": ["value", "count", "label"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
                       "label": {"type": "string"}},
    },
    "SearchResponse": {
        "type": "object",
        "required": ["total", "page", "pages", "per_page", "took_ms", "relaxed", "suggestion",
                     "query", "results", "facets"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "took_ms": {"type": "number", "minimum": 0},
            "relaxed": {"enum": ["some_words", "similar_spelling", None],
                        "description": "Set when too few resources had every word and the "
                                       "search retried with fewer words or similar spellings."},
            "suggestion": {**NULLABLE_STRING, "description": "A did-you-mean query."},
            "expansion": {**STRINGS, "description": "Terms of the same concept in other "
                                                    "languages, searched too."},
            "query": {
                "type": "object", "required": ["q", "filters", "sort", "include_gone"],
                "properties": {
                    "q": {"type": "string"},
                    "filters": {"type": "object", "additionalProperties": STRINGS},
                    "sort": {"type": "string"},
                    "include_gone": {"type": "boolean"},
                    "open": {"type": "boolean"},
                    "upcoming": {"type": "boolean"},
                    "date_from": {"type": ["string", "null"], "format": "date"},
                    "date_to": {"type": ["string", "null"], "format": "date"},
                },
            },
            "results": {"type": "array", "items": _ref("Result")},
            "facets": {"type": "object",
                       "additionalProperties": {"type": "array", "items": _ref("FacetValue")}},
        },
    },
    "ResourceInstance": {
        "type": "object", "required": ["source_id", "url", "status"],
        "properties": {
            "source_id": {"type": "string"}, "url": {"type": "string"},
            "first_seen": NULLABLE_TIME, "last_seen": NULLABLE_TIME, "guid": NULLABLE_STRING,
            "status": {"type": "string", "enum": ["live", "gone"]},
        },
    },
    "Place": {
        "description": "A place the resource is about or comes from.",
        "type": "object", "required": ["country", "city"],
        "properties": {
            "country": {**NULLABLE_STRING, "description": "ISO 3166 alpha-2 code, or EU."},
            "city": NULLABLE_STRING,
            "name": {**NULLABLE_STRING, "description": "The place's name as found."},
            "kind": {"enum": [*PLACE_KINDS, None]},
            "geonameid": {"type": ["integer", "null"], "description": "The place in GeoNames."},
            "origin": {"enum": list(PLACE_ORIGINS),
                       "description": "source: the source's own place; text: found in its text."},
        },
    },
    "Resource": {
        "type": "object",
        "required": ["id", "title", "url", "summary", "body", "instances", "type", "themes",
                     "places", "format"],
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
            "summary": {"type": "string"}, "body": {"type": "string"},
            "instances": {"type": "array", "items": _ref("ResourceInstance")},
            "publisher": NULLABLE_STRING, "authors": STRINGS,
            "published": NULLABLE_TIME, "updated": NULLABLE_TIME,
            "language": NULLABLE_STRING, "type": {"type": "string"}, "themes": STRINGS,
            "places": {"type": "array", "items": _ref("Place")},
            "format": {"type": "string"}, "licence": NULLABLE_STRING,
            "content_hash": {"type": "string"},
            "harvested_at": NULLABLE_TIME, "indexed_at": NULLABLE_TIME,
            "flags": STRINGS,
            "alternates": {"type": "array", "items": {"type": "object"}},
            "deadline": {**NULLABLE_TIME, "description": "When a funding call closes (UTC)."},
            "event_start": {**NULLABLE_TIME, "description": "When an event starts (UTC)."},
            "event_end": {**NULLABLE_TIME, "description": "When an event ends (UTC)."},
        },
    },
    "Suggestions": {
        "description": "OpenSearch suggestions: the query, completions, their descriptions "
                       "and the URL each leads to (the same length).",
        "type": "array",
        "prefixItems": [{"type": "string"}, STRINGS, STRINGS, STRINGS],
        "minItems": 4, "maxItems": 4,
    },
}


def _paths() -> dict[str, Any]:
    unavailable = _error("Search is unavailable (no index yet, or the engine is down); "
                         "Retry-After says when to try again.")
    return {
        "/api/search": {"get": {
            "operationId": "search", "summary": "Search the resources",
            "description": "The same search as the portal's search page, with facets.",
            "parameters": search_parameters(),
            "responses": {
                "200": {"description": "A page of results with the facets.",
                        "content": {"application/json": {"schema": _ref("SearchResponse")}}},
                "400": _error("A parameter is malformed (page out of range, unknown sort, "
                              "a date not written YYYY-MM-DD, query too long…)."),
                "503": unavailable,
            },
        }},
        "/api/resource/{resource_id}": {"get": {
            "operationId": "resource", "summary": "One resource's full record",
            "parameters": [{"name": "resource_id", "in": "path", "required": True,
                            "description": "The resource's id (as in the search results).",
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$"}}],
            "responses": {
                "200": {"description": "The record, with every place it was published.",
                        "content": {"application/json": {"schema": _ref("Resource")}}},
                "404": _error("No resource has this id."),
            },
        }},
        "/api/suggest": {"get": {
            "operationId": "suggest", "summary": "Suggestions for what has been typed",
            "description": "Titles, concepts of the taxonomy in every language and places "
                           "starting with the text (OpenSearch suggestions).",
            "parameters": [
                {"name": "q", "in": "query", "required": True,
                 "description": "What has been typed so far.",
                 "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH}},
                {"name": "limit", "in": "query", "required": False,
                 "description": "At most this many suggestions.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": 10}},
            ],
            "responses": {
                "200": {"description": "The suggestions.",
                        "content": {"application/x-suggestions+json": {
                            "schema": _ref("Suggestions")}}},
                "400": _error("limit is not a whole number from 1 to 20."),
            },
        }},
        "/api/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This description",
            "responses": {"200": {"description": "The OpenAPI 3.1 description of the API.",
                                  "content": {"application/json": {
                                      "schema": {"type": "object"}}}}},
        }},
    }


@lru_cache(maxsize=8)
def _spec(portal_name: str, server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{portal_name} API",
            "version": "1",
            "summary": "Search the circular-economy resources the portal gathers.",
            "description": "Read-only and open to every site (CORS). Every resource keeps the "
                           "addresses it was published at. Errors are {\"error\": \"…\"}.",
        },
        "servers": [{"url": server}],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS},
    }


def spec() -> dict[str, Any]:
    """The description for this request's host (paths are relative to the portal's root)."""
    from .i18n import base_script_root

    root = request.host_url.rstrip("/") + base_script_root()
    return _spec(current_app.config["CCP_PORTAL_NAME"], root or "/")


@bp.get("/openapi.json")
def openapi_json():
    resp = jsonify(spec())
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/docs")
def docs():
    doc = spec()
    operations = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            operations.append({
                "path": path, "method": method.upper(), "op": op,
                "anchor": op["operationId"],
                "parameters": [{**p, "type": _type_text(p["schema"])}
                               for p in op.get("parameters", [])],
            })
    return render_template("api_docs.html", doc=doc, operations=operations,
                           spec_url=url_for("openapi.openapi_json"))


def _type_text(schema: dict[str, Any]) -> str:
    """A parameter's type in a few words: ``integer 1–100``, ``one of: relevance, date``."""
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "")
    if kind == "array":
        return f"{schema['items'].get('type', '')}, repeatable"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind} {schema['minimum']}–{schema['maximum']}"
    return str(kind)
