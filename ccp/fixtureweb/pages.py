"""The fixture sites' HTML pages: chrome, articles, listings, home, robots.txt."""

from __future__ import annotations

import json
import math
from datetime import datetime

from .content_loader import Article
from .labels import visible_date
from .markup import esc, iso, with_query
from .specs import (
    ADDRESSES,
    FEED_TYPES,
    FIXED_DATE,
    SPECS,
    TRACKING_EXAMPLES,
    Document,
    article_path,
    landing_path,
)


class HtmlPagesMixin:
    # ---- page chrome ---------------------------------------------------------------------
    def page(
        self,
        *,
        title: str,
        main: str,
        lang: str | None = None,
        head: str = "",
        crumbs: list[tuple[str, str | None]] | None = None,
        sidebar: str = "",
    ) -> str:
        spec, l = self.spec, self.l
        charset = (
            '<meta charset="windows-1252">' if spec.charset != "utf-8" else '<meta charset="utf-8">'
        )
        alt = ""
        if spec.feed_path:
            alt = (
                f'<link rel="alternate" type="{FEED_TYPES[spec.feed_format or "rss2"]}" '
                f'title="{esc(self.title)} – {esc(l["feed"])}" href="{esc(spec.feed_path)}">'
            )
        nav = [
            f'<li><a href="/">{esc(l["home"])}</a></li>',
            f'<li><a href="{spec.section}">{esc(l["news"])}</a></li>',
            f'<li><a href="/about/">{esc(l["about"])}</a></li>',
            f'<li><a href="/about/#contact">{esc(l["contact"])}</a></li>',
        ]
        if spec.feed_path:
            nav.append(f'<li><a href="{esc(spec.feed_path)}">{esc(l["feed"])}</a></li>')
        crumb_html = ""
        if crumbs:
            items = []
            for label, href in crumbs:
                if href:
                    items.append(f'<li><a href="{esc(href)}">{esc(label)}</a></li>')
                else:
                    items.append(f'<li aria-current="page">{esc(label)}</li>')
            crumb_html = (
                '<nav class="breadcrumb" aria-label="breadcrumb"><ol>' + "".join(items) + "</ol></nav>"
            )
        aside = ""
        if sidebar:
            aside = f'<aside class="sidebar">{sidebar}</aside>'
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{esc(lang or spec.language)}">\n<head>\n{charset}\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n"
            '<link rel="stylesheet" href="/static/site.css">\n'
            f"{alt}\n{head}</head>\n<body>\n"
            f'<a class="skip-link" href="#content">{esc(l["skip"])}</a>\n'
            '<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookies">'
            f'<p>{esc(l["cookie"])} <a href="/privacy/">{esc(l["privacy"])}</a></p>'
            f'<button type="button">{esc(l["accept"])}</button></div>\n'
            f'<header class="site-header"><a class="logo" href="/">{esc(self.title)}</a>\n'
            f'<nav class="main-menu" aria-label="Menu"><ul>{"".join(nav)}</ul></nav></header>\n'
            f"{crumb_html}\n"
            f'<div class="layout">\n<main id="content">\n{main}\n</main>\n{aside}\n</div>\n'
            '<footer class="site-footer">\n'
            f"<address>{esc(ADDRESSES.get(spec.name, self.title))}</address>\n"
            f'<ul class="footer-links"><li><a href="/about/">{esc(l["about"])}</a></li>'
            f'<li><a href="/privacy/">{esc(l["privacy"])}</a></li>'
            f'<li><a href="/about/#contact">{esc(l["contact"])}</a></li></ul>\n'
            f'<p class="copyright">© 2025 {esc(self.spec.publisher)}</p>\n'
            "</footer>\n</body>\n</html>\n"
        )

    def related(self, current: Article) -> str:
        others = [a for a in self.articles if a.slug != current.slug][:3]
        if not others:
            return ""
        items = []
        for i, other in enumerate(others):
            href = self.link_path(other)
            if i == 0:
                href = with_query(href, TRACKING_EXAMPLES[2])
            items.append(f'<li><a href="{esc(href)}">{esc(other.title)}</a></li>')
        return (
            f'<section class="related"><h2>{esc(self.l["related"])}</h2><ul>{"".join(items)}</ul>'
            f'</section><section class="newsletter"><p>{esc(self.l["newsletter"])}</p>'
            f'<form action="/newsletter" method="post"><input type="email" name="email">'
            f'<button type="submit">{esc(self.l["subscribe"])}</button></form></section>'
        )

    # ---- articles ------------------------------------------------------------------------
    def meta_head(self, article: Article, url: str) -> str:
        spec = self.spec
        if article.metadata == "full":
            tags = [
                f'<meta name="description" content="{esc(article.description)}">',
                f'<link rel="canonical" href="{esc(url)}">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{esc(article.title)}">',
                f'<meta property="og:description" content="{esc(article.description)}">',
                f'<meta property="og:url" content="{esc(url)}">',
                f'<meta property="og:site_name" content="{esc(self.title)}">',
                f'<meta property="og:locale" content="{esc(article.lang)}">',
                f'<meta property="article:published_time" content="{iso(article.published)}">',
            ]
            if article.updated:
                tags.append(
                    f'<meta property="article:modified_time" content="{iso(article.updated)}">'
                )
            if article.author:
                tags.append(f'<meta name="author" content="{esc(article.author)}">')
            for category in article.categories:
                tags.append(f'<meta property="article:tag" content="{esc(category)}">')
            return "\n".join(tags) + "\n"
        if article.metadata == "jsonld":
            data: dict = {
                "@context": "https://schema.org",
                "@type": "Article",
                "headline": article.title,
                "description": article.description,
                "datePublished": iso(article.published),
                "inLanguage": article.lang,
                "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                "publisher": {"@type": "Organization", "name": spec.publisher},
            }
            if article.updated:
                data["dateModified"] = iso(article.updated)
            if article.author:
                data["author"] = {"@type": "Organization", "name": article.author}
            if article.categories:
                data["keywords"] = ", ".join(article.categories)
            if article.kind == "pdf":
                data["@type"] = "Report"
                data["encoding"] = {
                    "@type": "MediaObject",
                    "contentUrl": self.abs(article_path(spec, article)),
                    "encodingFormat": "application/pdf",
                }
            extra = self.dated_nodes(article, url, data)
            scripts = []
            for node in [data, *extra]:
                text = json.dumps(node, ensure_ascii=False, indent=1).replace("</", "<\\/")
                scripts.append(f'<script type="application/ld+json">\n{text}\n</script>\n')
            return "".join(scripts)
        return ""

    def dated_nodes(self, article: Article, url: str, data: dict) -> list[dict]:
        """A call's deadline (``expires`` on the article, and a grant node) and an event's
        days (an Event node), as schema.org; the extra nodes go in their own script."""
        nodes: list[dict] = []
        if article.deadline is not None:
            data["expires"] = article.deadline.isoformat()
            nodes.append({"@context": "https://schema.org", "@type": "MonetaryGrant",
                          "name": article.title, "url": url,
                          "funder": {"@type": "Organization", "name": self.spec.publisher}})
        if article.event_start is not None:
            event = {"@context": "https://schema.org", "@type": "Event", "name": article.title,
                     "url": url, "startDate": article.event_start.isoformat(),
                     "organizer": {"@type": "Organization", "name": self.spec.publisher}}
            if article.event_end is not None:
                event["endDate"] = article.event_end.isoformat()
            nodes.append(event)
        return nodes

    def body_html(self, article: Article) -> str:
        parts = []
        for block in article.blocks:
            if block.kind == "h2":
                parts.append(f"<h2>{esc(block.text)}</h2>")
            elif block.kind == "ul":
                parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
            else:
                parts.append(f"<p>{esc(block.text)}</p>")
        return "\n".join(parts)

    def dateline(self, article: Article) -> str:
        shown = visible_date(article.published, self.spec.language)
        if article.metadata == "none":
            line = f'<p class="date">{esc(shown)}</p>'
        else:
            line = f'<time datetime="{iso(article.published)}">{esc(shown)}</time>'
            if article.updated:
                upd = visible_date(article.updated, self.spec.language)
                line += (
                    f' <span class="updated">{esc(self.l["updated"])} '
                    f'<time datetime="{iso(article.updated)}">{esc(upd)}</time></span>'
                )
        if article.author:
            line += (
                f'\n<p class="byline">{esc(self.l["by"])} '
                f'<span class="author">{esc(article.author)}</span></p>'
            )
        return line

    def article_page(self, article: Article, path: str, *, landing: bool = False) -> Document:
        url = self.abs(path)
        spec = self.spec
        if landing:
            pdf = article_path(spec, article)
            size = len(self.pdf_bytes(article))
            body = (
                f"<p>{esc(article.description)}</p>\n"
                f'<p class="download"><a href="{esc(pdf)}" type="application/pdf">'
                f"{esc(self.l['download'])} (PDF, {math.ceil(size / 1024)} kB)</a></p>"
            )
        else:
            body = self.body_html(article)
        tags = ""
        if article.categories:
            tags = (
                f'<p class="tags">{esc(self.l["tags"])}: '
                + ", ".join(f"<span>{esc(c)}</span>" for c in article.categories)
                + "</p>"
            )
        note = ""
        if article.origin:
            origin_spec = SPECS[article.origin[0]]
            origin_url = self.url_of(
                origin_spec.name, article_path(origin_spec, article, article.origin[1])
            )
            note = (
                f'<p class="source-note">{esc(self.l["republished"])} '
                f'<a href="{esc(origin_url)}">{esc(origin_spec.publisher)}</a></p>'
            )
        main = (
            '<article class="article">\n<header class="article-header">\n'
            f'<h1 class="article-title">{esc(article.title)}</h1>\n'
            f'<div class="article-meta">{self.dateline(article)}</div>\n</header>\n'
            f'<div class="article-body">\n{body}\n</div>\n'
            f'<footer class="article-footer">{tags}{note}</footer>\n</article>'
        )
        # Pages without metadata keep a generic <title>; republished copies keep the host
        # site's <html lang> (its page template), a misleading hint as in real life.
        if article.metadata == "none":
            title = self.title
        else:
            title = f"{article.title} | {self.title}"
        lang = spec.language if (article.origin or article.metadata == "none") else article.lang
        crumbs = [(self.l["home"], "/"), (self.l["news"], spec.section), (article.title, None)]
        text = self.page(
            title=title, main=main, lang=lang, head=self.meta_head(article, url), crumbs=crumbs,
            sidebar=self.related(article),
        )
        return self.html_doc(text, article.modified)

    # ---- listing, home, static pages -----------------------------------------------------
    def listing_item(self, article: Article, index: int) -> str:
        href = self.link_path(article)
        if index % 3 == 1:
            href = with_query(href, TRACKING_EXAMPLES[0])
        suffix = " (PDF)" if article.kind == "pdf" and not landing_path(self.spec, article) else ""
        shown = visible_date(article.published, self.spec.language)
        return (
            f'<li class="teaser"><a href="{esc(href)}">{esc(article.title)}</a>{suffix} '
            f'<span class="teaser-date">{esc(shown)}</span>'
            f"<p>{esc(article.description)}</p></li>"
        )

    def listing_pages(self) -> dict[str, Document]:
        spec, l = self.spec, self.l
        articles = self.articles
        if spec.paginate:
            per_page = max(1, math.ceil(len(articles) / 3))
            chunks = [articles[i:i + per_page] for i in range(0, len(articles), per_page)] or [[]]
        else:
            chunks = [articles]
        pages: dict[str, Document] = {}
        page_paths = [spec.section] + [f"{spec.section}?page={n}" for n in range(2, len(chunks) + 1)]
        for number, chunk in enumerate(chunks, start=1):
            items = [self.listing_item(a, i) for i, a in enumerate(chunk)]
            featured = ""
            if number == 1:
                items.append(
                    f'<li class="teaser draft"><a href="{esc(spec.private_path)}">'
                    f'{esc(l["private"])}</a></li>'
                )
                if chunk:
                    first = chunk[0]
                    featured = (
                        f'<section class="featured"><h2>{esc(l["featured"])}</h2>'
                        f'<a href="{esc(with_query(self.link_path(first), TRACKING_EXAMPLES[1]))}">'
                        f"{esc(first.title)}</a></section>\n"
                    )
            pager = ""
            if len(chunks) > 1:
                links = []
                if number > 1:
                    links.append(f'<a rel="prev" href="{esc(page_paths[number - 2])}">{esc(l["prev"])}</a>')
                for n, p in enumerate(page_paths, start=1):
                    if n == number:
                        links.append(f'<span aria-current="page">{n}</span>')
                    else:
                        links.append(f'<a href="{esc(p)}">{n}</a>')
                if number < len(chunks):
                    links.append(f'<a rel="next" href="{esc(page_paths[number])}">{esc(l["next"])}</a>')
                pager = (
                    f'<nav class="pagination" aria-label="{esc(l["page"])}">' + " ".join(links) + "</nav>"
                )
            heading = l["news"] if number == 1 else f'{l["news"]} – {l["page"]} {number}'
            main = (
                f"<h1>{esc(heading)}</h1>\n{featured}"
                f'<ul class="teasers">\n' + "\n".join(items) + f"\n</ul>\n{pager}"
            )
            modified = max((a.modified for a in chunk), default=FIXED_DATE)
            text = self.page(
                title=f"{heading} | {self.title}", main=main,
                crumbs=[(l["home"], "/"), (l["news"], None)],
            )
            pages[page_paths[number - 1]] = self.html_doc(text, modified)
        return pages

    def home(self) -> Document:
        l, spec = self.l, self.spec
        latest = "".join(
            f'<li><a href="{esc(self.link_path(a))}">{esc(a.title)}</a></li>' for a in self.articles[:5]
        )
        feed = ""
        if spec.feed_path:
            feed = f'<p class="feed-link"><a href="{esc(spec.feed_path)}">{esc(l["feed"])}</a></p>'
        main = (
            f"<h1>{esc(self.title)}</h1>\n<p>{esc(l['intro'])}</p>\n"
            f'<h2><a href="{spec.section}">{esc(l["news"])}</a></h2>\n<ul>{latest}</ul>\n{feed}'
        )
        return self.html_doc(self.page(title=self.title, main=main), self.latest())

    def simple_page(self, heading: str, text: str, modified: datetime = FIXED_DATE) -> Document:
        main = f'<h1>{esc(heading)}</h1>\n<p>{esc(text)}</p>\n<h2 id="contact">{esc(self.l["contact"])}</h2>\n'
        main += f"<p>{esc(ADDRESSES.get(self.spec.name, self.title))}</p>"
        return self.html_doc(
            self.page(title=f"{heading} | {self.title}", main=main,
                      crumbs=[(self.l["home"], "/"), (heading, None)]),
            modified,
        )

    def private_page(self) -> Document:
        l = self.l
        main = (
            f'<article class="article"><h1 class="article-title">{esc(l["private"])}</h1>'
            f'<div class="article-body"><p>{esc(l["private_text"])}</p></div></article>'
        )
        return self.html_doc(
            self.page(title=f'{l["private"]} | {self.title}', main=main), FIXED_DATE
        )

    def robots(self, sitemaps: list[str]) -> Document:
        lines = ["User-agent: *", "Disallow: /private/", ""]
        lines += [f"Sitemap: {self.abs(p)}" for p in sitemaps]
        return Document(("\n".join(lines).strip() + "\n").encode("ascii"),
                        "text/plain; charset=utf-8", FIXED_DATE)

    # ---- feeds ---------------------------------------------------------------------------
