"""Source definitions that point the harvester at the running fixture web (``ccp demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol

import yaml


class FixtureWeb(Protocol):
    """What the demo needs of a running fixture web (:class:`ccp.fixtureweb.FixtureWeb`)."""

    sites: Mapping[str, Any]

    def url(self, site: str, path: str = "/") -> str: ...

__all__ = ["demo_sources", "write_demo_sources"]

_SCHEDULE = {"interval": {"hours": 12}}


def demo_sources(web: "FixtureWeb") -> list[dict[str, Any]]:
    """One source definition per demo source, valid for ``config.models.SOURCE_ADAPTER``."""

    def base(site: str, source_id: str, name: str) -> dict[str, Any]:
        s = web.sites[site]
        out: dict[str, Any] = {"id": source_id, "name": name, "publisher": s.publisher,
                               "country": s.country}
        if s.city:
            out["city"] = s.city
        if s.country != "EU":
            out["language"] = s.language  # EU-level publishers write in many languages
        out["schedule"] = {"interval": dict(_SCHEDULE["interval"])}
        return out

    return [
        {
            **base("euhub", "euhub-news", "Circular Knowledge Hub – news and publications"),
            "type": "feed",
            "url": web.url("euhub", "/feed.xml"),
        },
        {
            **base("urbact", "urbact-news", "URBACT-like network – news (Atom)"),
            "type": "feed",
            "url": web.url("urbact", "/news/atom.xml"),
        },
        {
            **base("urbact", "urbact-library", "URBACT-like network – good practices and library"),
            "type": "sitemap",
            "url": web.url("urbact", "/robots.txt"),
        },
        {
            **base("denhaag", "denhaag-nieuws", "Gemeente Den Haag – nieuws"),
            "type": "crawl",
            "start_urls": [web.url("denhaag", "/nieuws/")],
            "follow": [r"/nieuws/\?page=\d+$"],
            "items": [r"/nieuws/[a-z0-9-]+(\?.*)?$"],
            "max_depth": 3,
            "selectors": {
                "title": "article h1",
                "date": "article time, article p.date",
                "body": "article .article-body",
                "author": "article .author",
            },
        },
        {
            **base("porto", "porto-sitemap", "Câmara Municipal do Porto – notícias e documentos"),
            "type": "sitemap",
            "url": web.url("porto", "/sitemap.xml"),
            "follow": [r"/noticias/[^/?#]+$", r"/documentos/[^/?#]+\.pdf$"],
        },
        {
            **base("prato", "prato-notizie", "Comune di Prato – notizie (RSS 1.0)"),
            "type": "feed",
            "url": web.url("prato", "/rss.rdf"),
        },
        {
            **base("kaunas", "kaunas-naujienos", "Kauno miesto savivaldybė – naujienos (JSON Feed)"),
            "type": "feed",
            "url": web.url("kaunas", "/feed.json"),
        },
        {
            **base("oslo", "oslo-nyheter", "Oslo kommune – nyheter"),
            "type": "feed",
            "url": web.url("oslo", "/rss.xml"),
        },
    ]


def write_demo_sources(web: "FixtureWeb", directory: Path) -> list[Path]:
    """Write each demo source as ``<directory>/<id>.yaml``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for source in demo_sources(web):
        path = directory / f"{source['id']}.yaml"
        ordered = {"id": source["id"], "type": source["type"], **source}
        text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
