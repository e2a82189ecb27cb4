"""The fixture sites' feeds (RSS 2.0, Atom, RSS 1.0, JSON Feed) and sitemaps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from .content_loader import Article
from .markup import encode, iso, with_query
from .specs import Document, article_path, landing_path


class FeedsMixin:
    def feed_link(self, article: Article) -> str:
        return self.abs(with_query(self.link_path(article), self.spec.feed_tracking))

    def rss2(self) -> Document:
        spec = self.spec
        x = xml_escape
        items = []
        for a in self.articles:
            link = self.feed_link(a)
            if spec.name == "oslo":
                guid = f'<guid isPermaLink="true">{x(self.abs(article_path(spec, a)))}</guid>'
            else:
                guid = f'<guid isPermaLink="false">urn:fixture:{spec.name}:{x(a.slug)}</guid>'
            parts = [
                f"<title>{x(a.title)}</title>", f"<link>{x(link)}</link>", guid,
                f"<pubDate>{format_datetime(a.published)}</pubDate>",
                f"<description>{x(a.description)}</description>",
            ]
            if a.author:
                parts.append(f"<dc:creator>{x(a.author)}</dc:creator>")
            parts += [f"<category>{x(c)}</category>" for c in a.categories]
            if landing_path(spec, a):
                pdf = self.abs(article_path(spec, a))
                parts.append(
                    f"<enclosure url={quoteattr(pdf)} length=\"{len(self.pdf_bytes(a))}\" "
                    'type="application/pdf"/>'
                )
            items.append("<item>\n" + "\n".join(parts) + "\n</item>")
        feed_url = self.abs(spec.feed_path or "/feed.xml")
        head = (
            f'<?xml version="1.0" encoding="{spec.charset}"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{x(self.title)}</title>\n<link>{x(self.abs('/'))}</link>\n"
            f"<description>{x(self.l['intro'])}</description>\n"
            f"<language>{spec.language}</language>\n"
            f"<lastBuildDate>{format_datetime(self.latest())}</lastBuildDate>\n"
            f'<atom:link href={quoteattr(feed_url)} rel="self" type="application/rss+xml"/>\n'
        )
        # Oslo's feed names its encoding only in the XML declaration.
        ctype = "application/rss+xml" if spec.charset != "utf-8" else "application/rss+xml; charset=utf-8"
        return self._xml_feed(head, items, "\n</channel>\n</rss>\n", ctype,
                              encode_text=lambda t: encode(spec, t))

    def atom(self) -> Document:
        spec = self.spec
        x = xml_escape
        entries = []
        for a in self.articles:
            if a.kind == "pdf" and not landing_path(spec, a):
                # a PDF entry: the document itself is the link, and an enclosure as well
                pdf = self.abs(article_path(spec, a))
                links = (
                    f"<link href={quoteattr(self.feed_link(a))}/>\n"
                    f'<link rel="enclosure" type="application/pdf" '
                    f'length="{len(self.pdf_bytes(a))}" href={quoteattr(pdf)}/>'
                )
            else:
                links = (
                    f'<link rel="alternate" type="text/html" href={quoteattr(self.feed_link(a))}/>'
                )
            parts = [
                f"<title>{x(a.title)}</title>",
                links,
                f"<id>tag:{spec.name}.fixture,{a.published.year}:{x(a.slug)}</id>",
                f"<published>{iso(a.published)}</published>",
                f"<updated>{iso(a.modified)}</updated>",
                f"<summary>{x(a.description)}</summary>",
            ]
            if a.author:
                parts.append(f"<author><name>{x(a.author)}</name></author>")
            parts += [f"<category term={quoteattr(c)}/>" for c in a.categories]
            entries.append(f'<entry xml:lang="{a.lang}">\n' + "\n".join(parts) + "\n</entry>")
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{spec.language}">\n'
            f"<title>{x(self.title)}</title>\n<subtitle>{x(self.l['intro'])}</subtitle>\n"
            f"<id>tag:{spec.name}.fixture,2025:feed</id>\n<updated>{iso(self.latest())}</updated>\n"
            f'<link rel="self" type="application/atom+xml" href={quoteattr(self.abs(spec.feed_path or "/"))}/>\n'
            f'<link rel="alternate" type="text/html" href={quoteattr(self.abs("/"))}/>\n'
            f"<author><name>{x(spec.publisher)}</name></author>\n"
        )
        return self._xml_feed(head, entries, "\n</feed>\n", "application/atom+xml; charset=utf-8")

    def rdf(self) -> Document:
        spec = self.spec
        x = xml_escape
        urls = [self.feed_link(a) for a in self.articles]
        seq = "".join(f'<rdf:li rdf:resource={quoteattr(u)}/>' for u in urls)
        items = []
        for a, url in zip(self.articles, urls):
            parts = [
                f"<title>{x(a.title)}</title>", f"<link>{x(url)}</link>",
                f"<description>{x(a.description)}</description>",
                f"<dc:date>{iso(a.published)}</dc:date>", f"<dc:language>{a.lang}</dc:language>",
            ]
            if a.author:
                parts.append(f"<dc:creator>{x(a.author)}</dc:creator>")
            parts += [f"<dc:subject>{x(c)}</dc:subject>" for c in a.categories]
            items.append(f"<item rdf:about={quoteattr(url)}>\n" + "\n".join(parts) + "\n</item>")
        feed_url = self.abs(spec.feed_path or "/rss.rdf")
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"<channel rdf:about={quoteattr(feed_url)}>\n<title>{x(self.title)}</title>\n"
            f"<link>{x(self.abs('/'))}</link>\n<description>{x(self.l['intro'])}</description>\n"
            f"<dc:language>{spec.language}</dc:language>\n<dc:date>{iso(self.latest())}</dc:date>\n"
            f"<items><rdf:Seq>{seq}</rdf:Seq></items>\n</channel>\n"
        )
        return self._xml_feed(head, items, "\n</rdf:RDF>\n", "application/rdf+xml; charset=utf-8")

    def _xml_feed(self, head: str, items: list[str], tail: str, ctype: str,
                  encode_text: Callable[[str], bytes] = lambda t: t.encode("utf-8")) -> Document:
        """An XML feed: its head, then its items one per line, then its tail."""
        return Document(encode_text(head + "\n".join(items) + tail), ctype, self.latest())

    def jsonfeed(self) -> Document:
        spec = self.spec
        items = []
        for a in self.articles:
            item: dict = {
                "id": f"{spec.name}-{a.slug}",
                "url": self.feed_link(a),
                "title": a.title,
                "summary": a.description,
                "content_text": a.description,
                "date_published": iso(a.published),
                "language": a.lang,
            }
            if a.updated:
                item["date_modified"] = iso(a.updated)
            if a.author:
                item["authors"] = [{"name": a.author}]
            if a.categories:
                item["tags"] = list(a.categories)
            if a.kind == "pdf":
                item["attachments"] = [{
                    "url": self.abs(article_path(spec, a)),
                    "mime_type": "application/pdf",
                    "title": a.title,
                    "size_in_bytes": len(self.pdf_bytes(a)),
                }]
            items.append(item)
        data = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "home_page_url": self.abs("/"),
            "feed_url": self.abs(spec.feed_path or "/feed.json"),
            "description": self.l["intro"],
            "language": spec.language,
            "authors": [{"name": spec.publisher}],
            "items": items,
        }
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return Document(body, "application/feed+json; charset=utf-8", self.latest())

    # ---- sitemaps ------------------------------------------------------------------------
    def urlset(self, entries: list[tuple[str, datetime]]) -> bytes:
        return self._sitemap("urlset", "url", entries)

    def sitemap_index(self, entries: list[tuple[str, datetime]]) -> bytes:
        return self._sitemap("sitemapindex", "sitemap", entries)

    def _sitemap(self, root: str, row: str, entries: list[tuple[str, datetime]]) -> bytes:
        """A sitemap (``urlset`` of ``url``) or sitemap index (``sitemapindex`` of ``sitemap``)."""
        rows = "".join(
            f"<{row}><loc>{xml_escape(self.abs(p))}</loc><lastmod>{iso(m)}</lastmod></{row}>\n"
            for p, m in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + f"</{root}>\n"
        ).encode("utf-8")
