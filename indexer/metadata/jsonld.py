"""schema.org JSON-LD in a page: its nodes, the primary node, names and URLs in it."""

from __future__ import annotations

import json
import re

from .text import clean

# schema.org types that describe the document itself, best first
PRIMARY_TYPES = [
    {"newsarticle", "article", "blogposting", "report", "scholarlyarticle", "techarticle",
     "analysisnewsarticle", "reportagenewsarticle", "opinionnewsarticle", "legislation",
     "legislationobject", "event", "dataset", "howto", "guide", "digitaldocument", "book",
     "educationalevent", "businessevent", "grant", "monetarygrant", "fundingscheme"},
    {"webpage", "itempage", "collectionpage", "aboutpage", "faqpage", "creativework", "mediaobject"},
]


def json_ld_nodes(tree) -> list[dict]:
    nodes: list[dict] = []

    def walk(data, depth=0):
        if depth > 4:
            return
        if isinstance(data, list):
            for d in data:
                walk(d, depth + 1)
        elif isinstance(data, dict):
            if "@graph" in data:
                walk(data["@graph"], depth + 1)
            if "@type" in data or "headline" in data:
                nodes.append(data)

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        raw = re.sub(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$", "", raw).strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw, strict=False))
        except (ValueError, RecursionError):
            continue
    return nodes


def types_of(node: dict) -> list[str]:
    t = node.get("@type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def primary_node(nodes: list[dict]) -> dict | None:
    for group in PRIMARY_TYPES:
        for node in nodes:
            if any(t.lower().rsplit("/", 1)[-1] in group for t in types_of(node)):
                return node
    return next((n for n in nodes if "headline" in n), None)


def _resolve(value, ids: dict[str, dict]):
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in ids:
        return ids[value["@id"]]
    return value


def names_in(value, ids: dict[str, dict]) -> list[str]:
    out: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        v = _resolve(v, ids)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            name = v.get("name")
            if isinstance(name, dict):
                name = name.get("@value")
            if not name and (v.get("givenName") or v.get("familyName")):
                name = f"{v.get('givenName', '')} {v.get('familyName', '')}"
            if isinstance(name, (str, list)):
                c = clean(name)
                if c:
                    out.append(c)
    return out


def url_of(value, ids: dict[str, dict]) -> str | None:
    value = _resolve(value, ids)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return clean(value.get("url") or value.get("@id") or value.get("name"))
    return None


def str_list(value) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[,;]", value) if p.strip()]
    if isinstance(value, list):
        return [x.strip() for x in value if isinstance(x, str) and x.strip()]
    return []
