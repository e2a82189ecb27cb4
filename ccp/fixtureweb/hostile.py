"""The ``hostile`` site: what a careless or malicious publisher serves a harvester.

Not part of the demo. A :class:`~ccp.fixtureweb.FixtureWeb` started with ``hostile=True``
serves it beside the ``internal`` site, which listens on another loopback address
(:data:`INTERNAL_HOST`) and stands for an address inside the operator's network that a
harvester must never fetch (set ``CCP_ALLOWED_PRIVATE_ADDRESSES`` to ``127.0.0.1/32`` only).

Good pages are ``/news/good-<n>``; between the entries that link to them the listings carry:

* ``/feed.xml``: links that are not http(s) (``javascript:``, ``mailto:``, ``tel:``,
  ``file:``, ``ftp:``, ``data:``, a malformed ``http://[bad``), a ``file:`` enclosure, a page
  in an A→B→A redirect loop (``/loop/a``) and a scanned PDF without a text layer;
* ``/sitemap.xml``: the same kinds of bad ``<loc>`` and an impossible ``<lastmod>``;
* ``/links/``: a listing page for a crawl with the same kinds of bad ``href``;
* ``/feed-internal.xml``: an entry linking to the internal site, one redirecting there
  (``/go-internal``), one ``ftp:`` link to it;
* ``/feed-truncated.xml``: sent with ``Content-Encoding: gzip``, cut short after its first entry;
* ``/sitemap-truncated.xml.gz``: a gzipped sitemap of three URLs, cut short after the first;
* ``/sitemap-laughs.xml``: an entity-expansion ("billion laughs") DTD, no real URL;
* ``/feed-loop.xml``: redirects to ``/feed-loop-2.xml``, which redirects back;
* ``/shrink/sitemap.xml``: five items; :func:`shrink_sitemap` renders it with fewer.
"""

from __future__ import annotations

import gzip
import zlib
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from .sites import FIXED_DATE, Document, UrlOf

TITLE = "Hostile site (adversarial fixtures)"
INTERNAL_TITLE = "Internal network (must never be fetched)"
INTERNAL_HOST = "127.0.0.2"
SCANNED_PDF = "/docs/scanned-waste-plan.pdf"
SCANNED_TITLE = "Valmora municipal waste plan (scanned)"

# the good pages and the rare word that makes each one findable
GOOD_WORDS = {
    1: "quillmoss", 2: "brandlewick", 3: "ostrivane", 4: "pellucid", 5: "marrowfen",
    6: "tindlebark", 7: "saltgrove", 8: "hobnailer", 9: "cindervale",
    11: "larkspindle", 12: "fernwhistle", 13: "dovetailer",
    21: "gravelbloom", 22: "mistlecomb", 23: "rookwillow",
    31: "ashenquay", 32: "thornbasket", 33: "wickerfold", 34: "plumtrellis", 35: "ivybarrow",
}
BAD_LINKS = ("javascript:void(0)", "mailto:press@valmora.example", "tel:+3212345678",
             "file:///etc/passwd", "data:text/html,<h1>data</h1>", "http://[bad")
HTML = "text/html; charset=utf-8"


def good_path(n: int) -> str:
    return f"/news/good-{n}" if n < 31 else f"/shrink/item-{n - 30}"


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{xml_escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{xml_escape(title)}'
        f"</title></head>\n<body><main><article><h1>{xml_escape(title)}</h1>\n"
        f'<div class="article-body">{body}</div></article></main></body></html>\n'
    ).encode("utf-8")


def _good_page(n: int) -> bytes:
    word = GOOD_WORDS[n]
    return _page(f"Valmora circular economy note {n}: {word}", [
        f"The {word} programme of the city of Valmora collects used furniture, repairs it in "
        "a municipal workshop and sells it again at low prices to residents.",
        "Since the start of the programme the amount of bulky waste sent to incineration has "
        "fallen by a quarter, and twelve people found work in the repair workshop.",
    ])


def _rss(url_of: UrlOf, title: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{xml_escape(title)}</title><link>{xml_escape(url_of('hostile', '/'))}</link>\n"
        "<description>Adversarial fixtures</description>\n" + "\n".join(items)
        + "\n</channel></rss>\n"
    ).encode("utf-8")


def _item(link: str, title: str, extra: str = "", description: str = "") -> str:
    return (f"<item><title>{xml_escape(title)}</title><link>{xml_escape(link)}</link>"
            f"<guid>{xml_escape(link or title)}</guid>"
            f"<pubDate>{format_datetime(FIXED_DATE)}</pubDate>"
            f"<description>{xml_escape(description or title)}</description>{extra}</item>")


def _urlset(locs: list[tuple[str, str | None]]) -> bytes:
    rows = "".join(
        f"<url><loc>{xml_escape(loc)}</loc>"
        + (f"<lastmod>{xml_escape(lastmod)}</lastmod>" if lastmod else "") + "</url>\n"
        for loc, lastmod in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + rows + "</urlset>\n").encode("utf-8")


def shrink_sitemap(url_of: UrlOf, count: int) -> bytes:
    """The ``/shrink/sitemap.xml`` listing its first ``count`` of five items."""
    return _urlset([(url_of("hostile", good_path(30 + i)), None) for i in range(1, count + 1)])


def scanned_pdf(title: str = SCANNED_TITLE) -> bytes:
    """A one-page PDF whose page is only an image (a scan without OCR): no text layer."""
    side = 64
    pixels = bytes((x * 7 + y * 13) % 256 for y in range(side) for x in range(side))
    image = zlib.compress(pixels, 9)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
           b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        4: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        5: b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
           b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
           % (side, side, len(image)) + image + b"\nendstream",
        6: b"<< /Title (" + title.encode("latin-1") + b") /Author (Valmora city archive) "
           b"/Subject (Scanned copy of the municipal waste plan) /CreationDate (D:20240301) >>",
    }
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for number in objects:
        out += b"%010d 00000 n \n" % offsets[number]
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def _cut_gzip(data: bytes, keep_text: bytes) -> bytes:
    """``data`` gzipped, cut right after the compressed bytes that produce ``keep_text``."""
    packed = gzip.compress(data, compresslevel=1, mtime=0)
    for end in range(20, len(packed)):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if keep_text in d.decompress(packed[:end]):
            return packed[: end + 8]
    raise AssertionError("the text to keep is not in the data")


def build_hostile(url_of: UrlOf) -> dict[str, Document]:
    def u(path: str) -> str:
        return url_of("hostile", path)

    docs: dict[str, Document] = {}

    def put(path: str, body: bytes, ctype: str, **kw: Any) -> None:
        docs[path] = Document(body, ctype, FIXED_DATE, **kw)

    internal = url_of("internal", "/secret")
    internal_ftp = url_of("internal", "/report.pdf").replace("http://", "ftp://", 1)
    for n in GOOD_WORDS:
        put(good_path(n), _good_page(n), HTML)
    put("/", _page(TITLE, ["Adversarial fixtures for the harvester's tests."]), HTML)
    put(SCANNED_PDF, scanned_pdf(), "application/pdf")
    file_enclosure = '<enclosure url="file:///etc/passwd.pdf" length="10" type="application/pdf"/>'
    bad = [_item(link, f"Bad link {i}") for i, link in enumerate(BAD_LINKS, 1)]
    feed = [_item(u(good_path(1)), "Good one"), bad[0], _item(u(good_path(2)), "Good two"),
            *bad[1:4], _item(u(good_path(3)), "Good three", file_enclosure), *bad[4:],
            _item(u("/loop/a"), "A page in a redirect loop"),
            _item(u(SCANNED_PDF), "Scanned waste plan"), _item(u(good_path(4)), "Good four")]
    put("/feed.xml", _rss(url_of, TITLE, feed), "application/rss+xml; charset=utf-8")
    put("/feed-internal.xml", _rss(url_of, TITLE + " (internal links)", [
        _item(u(good_path(11)), "Good eleven"), _item(internal, "Link to an internal address"),
        _item(u(good_path(12)), "Good twelve"), _item(u("/go-internal"), "Redirect to internal"),
        _item(internal_ftp, "FTP link to an internal address"),
        _item(u(good_path(13)), "Good thirteen"),
    ]), "application/rss+xml; charset=utf-8")
    put("/sitemap.xml", _urlset([
        (u(good_path(5)), "2024-13-45T99:99:99"), ("javascript:void(0)", None),
        ("mailto:press@valmora.example", None), (u(good_path(6)), "2024-05-01"),
        ("http://[bad", "yesterday"), ("ftp://127.0.0.1/pub/plan.pdf", None),
        ("file:///etc/passwd", None), (u(good_path(7)), None),
    ]), "application/xml")
    hrefs = ["javascript:void(0)", "mailto:a@valmora.example", good_path(8), "http://[bad",
             "file:///etc/passwd", "tel:+3212345678", good_path(9), "/loop/a"]
    listing = "".join(f'<li><a href="{xml_escape(h)}">Link {i}</a></li>' for i, h in enumerate(hrefs))
    put("/links/", (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Links'
                    f"</title></head><body><ul>{listing}</ul></body></html>").encode(), HTML)
    trunc_items = [_item(u(good_path(21 + i)), f"Truncated feed entry {i + 1}",
                         description=f"Entry {i + 1} of the truncated feed. " + "padding " * 60)
                   for i in range(3)]
    trunc_feed = _rss(url_of, TITLE + " (truncated)", trunc_items)
    put("/feed-truncated.xml", _cut_gzip(trunc_feed, u(good_path(21)).encode() + b"</guid>"),
        "application/rss+xml; charset=utf-8", headers={"Content-Encoding": "gzip"})
    trunc_map = _urlset([(u(good_path(21 + i)), None) for i in range(3)]).replace(
        b"</url>", b"</url>" + b"<!-- padding -->" * 40)
    put("/sitemap-truncated.xml.gz", _cut_gzip(trunc_map, u(good_path(21)).encode() + b"</loc>"),
        "application/x-gzip")
    lol = "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    put("/sitemap-laughs.xml", (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY lol0 "lol">' + lol + "]>\n"
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>&lol9;</loc></url></urlset>\n").encode(), "application/xml")
    put("/shrink/sitemap.xml", shrink_sitemap(url_of, 5), "application/xml")
    return docs


def build_internal(url_of: UrlOf) -> dict[str, Document]:
    page = _page("Internal staff directory", [
        "Confidential: the staff directory and the admin passwords of the internal network.",
        "This page must never be fetched by the harvester nor become searchable."])
    return {"/": Document(page, HTML, FIXED_DATE), "/secret": Document(page, HTML, FIXED_DATE)}


REDIRECTS = {"/feed-loop.xml": "/feed-loop-2.xml", "/feed-loop-2.xml": "/feed-loop.xml",
             "/loop/a": "/loop/b", "/loop/b": "/loop/a"}


def hostile_redirect(path: str, url_of: UrlOf) -> str | None:
    """Where a redirecting path of the hostile site points (an absolute URL), else None."""
    if path == "/go-internal":
        return url_of("internal", "/secret")
    target = REDIRECTS.get(path)
    return url_of("hostile", target) if target else None


def hostile_sources(web: Any) -> list[dict[str, Any]]:
    """Source definitions for the hostile listings (tests only; never the demo's)."""
    def src(sid: str, kind: str, path: str, **extra: Any) -> dict[str, Any]:
        key = "start_urls" if kind == "crawl" else "url"
        value = [web.url("hostile", path)] if kind == "crawl" else web.url("hostile", path)
        return {"id": sid, "name": f"Hostile {sid}", "type": kind, key: value,
                "country": "EU", "language": "en", **extra}

    return [
        src("hostile-feed", "feed", "/feed.xml"),
        src("hostile-sitemap", "sitemap", "/sitemap.xml"),
        src("hostile-crawl", "crawl", "/links/", follow=[r"/links/$"],
            items=[r"/news/good-\d+$", r"/loop/"], max_depth=1),
        src("hostile-internal", "feed", "/feed-internal.xml"),
        src("hostile-truncated-feed", "feed", "/feed-truncated.xml"),
        src("hostile-truncated-sitemap", "sitemap", "/sitemap-truncated.xml.gz"),
        src("hostile-laughs", "sitemap", "/sitemap-laughs.xml"),
        src("hostile-feed-loop", "feed", "/feed-loop.xml"),
    ]
