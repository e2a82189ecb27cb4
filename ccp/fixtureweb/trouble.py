"""The ``trouble`` site: documents that exercise the harvester's failure and edge cases.

The dynamic endpoints (``/status/<code>``, ``/huge``, ``/huge-chunked``, ``/slow``,
``/retry-after``, ``/redirect``) are answered by the server itself; this module holds the
static documents.
"""

from __future__ import annotations

import gzip
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from .sites import FIXED_DATE, Document, UrlOf

TITLE = "Trouble site (failure fixtures)"
PRIVATE_PATH = "/private/secret-report"

_CP1252_TEXT = (
    "Économie circulaire à Bruxelles : réemploi, réparation et « upcycling » — "
    "Müller & Søn, façade, São João, € 25"
)


def _page(title: str, body: str, *, lang: str = "en", head: str = '<meta charset="utf-8">') -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{head}\n<title>{title}</title>\n'
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">\n</head>\n'
        f"<body>\n<header><nav><a href=\"/\">Home</a> <a href=\"/articles/\">Articles</a></nav></header>\n"
        f"<main>\n{body}\n</main>\n<footer><p>Trouble site · test fixtures</p></footer>\n</body>\n</html>\n"
    )


def _article(title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f'<article>\n<h1>{title}</h1>\n<div class="article-body">\n{body}\n</div>\n</article>'


def build_trouble(url_of: UrlOf) -> dict[str, Document]:
    def abs_(path: str) -> str:
        return url_of("trouble", path)

    docs: dict[str, Document] = {}

    def html_doc(path: str, text: str) -> None:
        docs[path] = Document(text.encode("utf-8"), "text/html; charset=utf-8", FIXED_DATE)

    links = [
        ("/articles/plain-page", "A plain article"),
        ("/cp1252.html", "Windows-1252 page"),
        ("/bom.html", "UTF-8 page with a byte order mark"),
        ("/gzip/page.html", "Gzip-encoded page"),
        (PRIVATE_PATH, "Private report (disallowed by robots.txt)"),
    ]
    listing = "<ul>" + "".join(f'<li><a href="{p}">{t}</a></li>' for p, t in links) + "</ul>"
    html_doc("/", _page(TITLE, f"<h1>{TITLE}</h1>\n<p>Endpoints for failure tests.</p>\n{listing}"))
    html_doc("/articles/", _page("Articles", f"<h1>Articles</h1>\n{listing}"))
    html_doc(
        "/articles/plain-page",
        _page("A plain article", _article("A plain article", [
            "This page is an ordinary, well-formed article used as a control in failure tests.",
            "Reuse, repair and recycling keep materials in use for longer.",
        ])),
    )
    html_doc(
        PRIVATE_PATH,
        _page("Private report", _article("Private report", [
            "This page is disallowed by robots.txt; a polite harvester never fetches it.",
        ])),
    )
    html_doc(
        "/notafeed.xml",
        _page("Not a feed", "<h1>Not a feed</h1><p>This URL ends in .xml but serves an HTML page.</p>"),
    )
    docs["/robots.txt"] = Document(
        b"User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8", FIXED_DATE
    )

    # Windows-1252 text whose charset is declared only in <meta http-equiv>.
    cp_text = _page(
        "Économie circulaire",
        _article("Économie circulaire à Bruxelles", [_CP1252_TEXT]),
        lang="fr",
        head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    )
    docs["/cp1252.html"] = Document(cp_text.encode("windows-1252"), "text/html", FIXED_DATE)

    # UTF-8 with a byte order mark and no charset anywhere.
    bom_text = _page(
        "Žiedinė ekonomika",
        _article("Žiedinė ekonomika ir pakartotinis naudojimas", [
            "Kaune atidaryti daiktų mainų punktai: baldai, knygos, drabužiai. Ąžuolas, čia, ėjimas.",
        ]),
        lang="lt",
        head='<meta name="viewport" content="width=device-width">',
    )
    docs["/bom.html"] = Document(b"\xef\xbb\xbf" + bom_text.encode("utf-8"), "text/html", FIXED_DATE)

    # Always gzip-encoded, whatever the client asked for.
    gz_text = _page("Compressed page", _article("A compressed page", [
        "This page is always sent with Content-Encoding: gzip.",
    ]))
    docs["/gzip/page.html"] = Document(
        gzip.compress(gz_text.encode("utf-8"), mtime=0),
        "text/html; charset=utf-8",
        FIXED_DATE,
        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
    )

    items = []
    for path, title in links:
        items.append(
            f"<item><title>{xml_escape(title)}</title><link>{xml_escape(abs_(path))}</link>"
            f'<guid isPermaLink="false">urn:fixture:trouble:{xml_escape(path)}</guid>'
            f"<pubDate>{format_datetime(FIXED_DATE)}</pubDate>"
            f"<description>{xml_escape(title)}.</description></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
        f"<title>{TITLE}</title>\n<link>{xml_escape(abs_('/'))}</link>\n"
        "<description>Failure fixtures</description>\n" + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )
    docs["/feed.xml"] = Document(feed.encode("utf-8"), "application/rss+xml; charset=utf-8", FIXED_DATE)
    cut = feed.encode("utf-8")
    docs["/feed-broken.xml"] = Document(
        cut[: int(len(cut) * 0.6)], "application/rss+xml; charset=utf-8", FIXED_DATE
    )
    return docs
