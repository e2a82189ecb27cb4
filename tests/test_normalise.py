"""Normalisation: bytes → canonical Resource (decoding, extraction, metadata, dates, language,
PDFs, classification, and normalise() end to end). All on bytes, no server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config.models import CrawlSource, FeedSource, Selectors
from config.taxonomy import REQUIRED_LANGUAGES, TaxonomyError, default_taxonomy, load_taxonomy
from indexer.classify import Classifier, classify, fold
from indexer.dates import find_date, month_number, parse_date, parse_pdf_date
from indexer.extract import decode_html, extract_main_text, fallback_main_text, html_to_text, parse_html
from indexer.language import detect_language, normalise_language_code
from indexer.metadata import extract_metadata, strip_site_name
from indexer.normalise import NormaliseError, content_hash, make_summary, normalise
from indexer.pdf import PdfError, extract_pdf
from indexer.resource import RESOURCE_TYPES, Hints, RawDocument, resource_id_for
from tests.conftest import corpora_dir

UTC = timezone.utc
FETCHED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def raw_doc(body: bytes, url="https://www.city.eu/en/page", ctype="text/html; charset=utf-8", **kw) -> RawDocument:
    return RawDocument(source_id=kw.pop("source_id", "city"), url=kw.pop("link", url), final_url=url,
                       body=body, headers={"content-type": ctype} if ctype else {}, fetched_at=FETCHED, **kw)


FEED_SOURCE = FeedSource(id="city", name="City", type="feed", url="https://www.city.eu/feed",
                         publisher="City of Example", country="BE", city="Ghent", language="nl")


# =====================================================================================================
# PDF builder (hand-written PDF 1.4 with the standard Helvetica font)
# =====================================================================================================
def _pdf_string(s: str) -> str:
    return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None, encrypt: bool = False) -> bytes:
    """A small valid PDF: one text line per entry, pages in order, optional Info dictionary.

    ``encrypt=True`` adds a standard security handler whose user password is not empty, so a
    reader cannot open the file without one.
    """
    objects: list[bytes | None] = []

    def add(obj: bytes | None) -> int:
        objects.append(obj)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = add(None)
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 11 Tf", "60 760 Td", "14 TL"] + [f"{_pdf_string(ln)} Tj T*" for ln in lines] + ["ET"]
        stream = "\n".join(ops).encode("cp1252")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
        ))
    objects[pages_id - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    )
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    info_id = add(("<< " + " ".join(f"/{k} {_pdf_string(v)}" for k, v in info.items()) + " >>").encode("latin-1")) if info else None
    enc_id = add(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>") if encrypt else None
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root {catalog} 0 R"
    if info_id:
        trailer += f" /Info {info_id} 0 R"
    if enc_id:
        trailer += f" /Encrypt {enc_id} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# =====================================================================================================
# Decoding
# =====================================================================================================
@pytest.mark.parametrize(
    "body, ctype, expected_text, expected_encoding",
    [
        # windows-1252 declared in <meta charset>: curly quotes and the euro sign
        (b'<meta charset="windows-1252"><p>caf\xe9 \x93circular\x94 \x80 5</p>', None, "café “circular” € 5", "cp1252"),
        # iso-8859-1 in http-equiv is read as windows-1252, as browsers do
        (b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>\x93r\xe9emploi\x94</p>',
         None, "“réemploi”", "cp1252"),
        # the HTTP header wins over <meta>
        (b'<meta charset="utf-8"><p>d\xe9chets \x96 tri</p>', "text/html; charset=windows-1252", "déchets – tri", "cp1252"),
        (b'<meta charset="iso-8859-1"><p>\xc5\xbeiedin\xc4\x97</p>', "text/html; charset=UTF-8", "žiedinė", "utf-8"),
        # a BOM wins over the header
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "text/html; charset=iso-8859-1", "café", "utf-8"),
        ("<p>gospodarka o obiegu zamkniętym</p>".encode("utf-16"), "text/html", "gospodarka o obiegu zamkniętym", "utf-16-le"),
        # the XML declaration
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><html><body><p>M\xfcll</p></body></html>', None, "Müll", "cp1252"),
        # nothing declared: valid UTF-8 is UTF-8, anything else windows-1252
        ("<p>Kreislaufwirtschaft für Städte</p>".encode("utf-8"), "text/html", "Kreislaufwirtschaft für Städte", "utf-8"),
        (b"<p>Kreislaufwirtschaft f\xfcr St\xe4dte</p>", "text/html", "Kreislaufwirtschaft für Städte", "cp1252"),
    ],
)
def test_decoding(body, ctype, expected_text, expected_encoding):
    text, encoding = decode_html(body, ctype)
    assert expected_text in text
    assert encoding == expected_encoding


@pytest.mark.parametrize(
    "body, ctype",
    [
        (b"<p>bad \xff\xfe\xc3 bytes</p>", "text/html; charset=utf-8"),
        (b'<meta charset="no-such-charset"><p>text \xe9</p>', None),
        (b"<p>nul\x00 and \x07 controls</p>", "text/html"),
        (b"", "text/html"),
    ],
)
def test_mis_encoded_bytes_never_raise(body, ctype):
    text, _ = decode_html(body, ctype)
    assert "\x00" not in text and "\x07" not in text
    if body:
        assert parse_html(text) is not None


def test_utf8_cut_by_a_size_cap_is_still_utf8():
    body = "<p>žiedinė".encode("utf-8")[:-1]  # the last character's second byte is missing
    text, enc = decode_html(body, "text/html")
    assert enc == "utf-8" and text.startswith("<p>žiedin")


# =====================================================================================================
# Main text
# =====================================================================================================
ARTICLE_PARAGRAPHS = [
    "The city council adopted its first circular economy strategy on Tuesday, setting out how "
    "the municipality will halve the use of primary raw materials by 2030.",
    "The plan focuses on construction, food waste and textiles. Demolition waste from municipal "
    "projects will be sorted on site so that bricks, timber and steel can be reused in new buildings.",
    "Residents can bring broken appliances to repair cafés in every district, and a new reuse "
    "centre opens next spring next to the recycling park in the harbour area.",
    "“We want to keep materials in use for as long as possible,” the alderman for climate said. "
    "The council will report on progress every year.",
]


def page(template: str, title="City adopts circular economy strategy", paragraphs=ARTICLE_PARAGRAPHS) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if template == "a":
        html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | City News</title>
<meta property="og:title" content="{title}"><style>p {{ color: red }}</style>
<script>var tracking = "do not index me";</script></head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. Accept all cookies?</div>
<header><a href="/">City portal</a><nav><ul><li><a href="/news">News</a></li><li><a href="/events">Events</a></li>
<li><a href="/contact">Contact us</a></li></ul></nav></header>
<main><article><h1>{title}</h1><p class="byline">Published 14 March 2025</p>{body}</article>
<aside><h3>Related</h3><ul><li><a href="/x">Parking fees rise in May</a></li><li><a href="/y">Library opening hours</a></li></ul></aside></main>
<footer><p>© City of Example · Privacy · Cookie settings · Accessibility statement</p></footer></body></html>"""
    else:
        html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title></head><body class="theme-2">
<div class="topbar"><a href="/">Home</a> | <a href="/nl">Nederlands</a> | <a href="/login">Log in</a></div>
<div class="menu"><a href="/a">Living</a> <a href="/b">Working</a> <a href="/c">Visiting</a></div>
<div class="content"><div class="post"><h1>{title}</h1>{body}</div>
<div class="share">Share on Facebook · Share on X · Print this page</div></div>
<div class="newsletter">Subscribe to our newsletter! <form><input name="email"><button>Send</button></form></div>
<div class="foot">Stadhuis, Markt 1 · Opening hours 9-17 · Sitemap</div></body></html>"""
    return html.encode("utf-8")


@pytest.mark.parametrize("template", ["a", "b"])
def test_main_text_drops_page_chrome(template):
    text, _ = decode_html(page(template), None)
    tree = parse_html(text)
    main = extract_main_text(text, "https://www.city.eu/news/strategy", tree=tree)
    for p in ARTICLE_PARAGRAPHS:
        assert p[:60] in main
    for chrome in ("cookies", "Contact us", "Parking fees", "Privacy", "Subscribe", "Opening hours",
                   "do not index me", "color: red", "Share on Facebook"):
        assert chrome not in main, chrome
    assert "\n\n" in main  # paragraphs separated by blank lines


def test_fallback_main_text_without_extractor():
    text, _ = decode_html(page("a"), None)
    main = fallback_main_text(parse_html(text))
    assert ARTICLE_PARAGRAPHS[1][:50] in main
    for chrome in ("cookies", "Contact us", "Parking fees", "Privacy", "do not index me"):
        assert chrome not in main, chrome


def test_fallback_when_extractor_finds_nothing():
    html = "<html><body><nav>Menu</nav><main><p>Short notice: the reuse centre is closed on Monday.</p></main><footer>Footer</footer></body></html>"
    main = extract_main_text(html)
    assert "reuse centre is closed" in main
    assert "Menu" not in main and "Footer" not in main


def test_html_to_text_paragraphs():
    tree = parse_html("<div><h2>Plan</h2><p>One <b>bold</b> word.</p><script>x()</script><ul><li>a</li><li>b</li></ul>tail<br>next</div>")
    assert html_to_text(tree.find("body")) == "Plan\n\nOne bold word.\n\na\n\nb\n\ntail\n\nnext"


# =====================================================================================================
# Metadata
# =====================================================================================================
def meta_of(html: str, url="https://www.city.eu/en/news/item"):
    return extract_metadata(parse_html(html), url)


def test_metadata_opengraph_and_meta():
    md = meta_of("""<html lang="en-GB"><head><title>Zero waste plan - Example City</title>
<meta property="og:title" content="Zero waste plan"><meta property="og:site_name" content="Example City">
<meta property="og:description" content="The city's plan to cut waste.">
<meta property="article:published_time" content="2025-03-14T09:30:00+01:00">
<meta property="article:modified_time" content="2025-04-01T10:00:00Z">
<meta property="article:tag" content="waste"><meta property="article:tag" content="recycling">
<meta property="og:locale" content="fr_FR"><meta name="author" content="By Jane Doe">
<link rel="canonical" href="/en/news/zero-waste-plan"><link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
</head><body><h1>Zero waste plan</h1></body></html>""")
    assert md.title == "Zero waste plan"
    assert md.description == "The city's plan to cut waste."
    assert md.published == utc(2025, 3, 14, 8, 30)
    assert md.updated == utc(2025, 4, 1, 10, 0)
    assert md.keywords == ["waste", "recycling"]
    assert md.language == "en"  # <html lang> before og:locale
    assert md.authors == ["Jane Doe"]
    assert md.canonical_url == "https://www.city.eu/en/news/zero-waste-plan"
    assert md.licence == "https://creativecommons.org/licenses/by/4.0/"
    assert md.site_name == "Example City"


def test_metadata_json_ld_graph_with_references():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "@id": "https://city.eu/#org", "name": "Ville d'Exemple"},
            {"@type": "WebPage", "@id": "https://city.eu/p#page", "name": "Feuille de route – Ville d'Exemple"},
            {"@type": ["NewsArticle"], "headline": "Feuille de route économie circulaire",
             "datePublished": "2024-11-05T08:00:00+01:00", "dateModified": "2024-12-01",
             "author": [{"@id": "https://city.eu/#p1"}, {"@type": "Person", "name": "Marc Dupont"}, "Service Environnement"],
             "publisher": {"@id": "https://city.eu/#org"}, "inLanguage": "fr-BE",
             "license": {"@type": "CreativeWork", "url": "https://www.etalab.gouv.fr/licence-ouverte"},
             "keywords": "déchets, réemploi", "articleSection": "Environnement"},
            {"@type": "Person", "@id": "https://city.eu/#p1", "name": "Claire Martin"},
        ],
    }
    md = meta_of(f"""<html><head><title>Feuille de route économie circulaire | Ville d'Exemple</title>
<script type="application/ld+json">{json.dumps(ld)}</script>
<script type="application/ld+json">{{ this is not json </script></head><body></body></html>""")
    assert md.title == "Feuille de route économie circulaire"
    assert md.published == utc(2024, 11, 5, 7, 0)
    assert md.updated == utc(2024, 12, 1)
    assert md.authors == ["Claire Martin", "Marc Dupont", "Service Environnement"]
    assert md.publisher == "Ville d'Exemple"
    assert md.language == "fr"
    assert md.licence == "https://www.etalab.gouv.fr/licence-ouverte"
    assert {"déchets", "réemploi", "Environnement"} <= set(md.keywords)
    assert "NewsArticle" in md.schema_types


def test_metadata_dublin_core_and_time_element():
    md = meta_of("""<html><head><title>Afvalbeleidsplan</title>
<meta name="DC.date" content="2023-06-30"><meta name="DC.creator" content="Afdeling Milieu">
<meta name="DCTERMS.modified" content="2023-07-02"><meta name="DC.language" content="nl-BE">
</head><body><article><time datetime="2020-01-01">1 januari 2020</time></article></body></html>""")
    assert md.published == utc(2023, 6, 30)  # DC wins over <time>
    assert md.updated == utc(2023, 7, 2)
    assert md.authors == ["Afdeling Milieu"]
    assert md.language == "nl"

    md = meta_of("""<html><body><aside><time datetime="2019-05-05">sidebar</time></aside>
<article><h1>Repair café</h1><p>Gepubliceerd <time datetime="2024-02-10T14:00:00Z">10 februari</time></p></article></body></html>""")
    assert md.published == utc(2024, 2, 10, 14)
    md = meta_of("""<html><body><time datetime="2019-05-05">x</time><p>a</p><time datetime="2019-06-06">y</time></body></html>""")
    assert md.published is None  # two dates outside any article: neither is the page's


def test_site_name_alone_is_not_a_title():
    head = '<title>Stad Gent</title><meta property="og:site_name" content="Stad Gent"><meta property="og:title" content="Stad Gent">'
    assert meta_of(f"<html><head>{head}</head><body><h1>Stad Gent</h1></body></html>").title is None
    assert meta_of(f"<html><head>{head}</head><body><h1>Afvalplan</h1></body></html>").title == "Afvalplan"


@pytest.mark.parametrize(
    "title, site, agree, expected",
    [
        ("Circular Strategy 2030 | City of Ghent", None, ("Circular Strategy 2030",), "Circular Strategy 2030"),
        ("City of Ghent - Circular Strategy 2030", None, ("Circular Strategy 2030",), "Circular Strategy 2030"),
        ("Circular Strategy 2030 | City of Ghent", "City of Ghent", (), "Circular Strategy 2030"),
        ("Stad Gent — Circulaire strategie", "Stad Gent", (), "Circulaire strategie"),
        ("Repair - reuse - recycle | Ghent", None, ("Repair - reuse - recycle",), "Repair - reuse - recycle"),
        ("Repair - reuse - recycle", None, (), "Repair - reuse - recycle"),  # nothing agrees: kept
        ("Plan | Annex", "City", (), "Plan | Annex"),
    ],
)
def test_strip_site_name(title, site, agree, expected):
    assert strip_site_name(title, site, agree) == expected


def _site_page(title_tag: str, h1: str, *, dateline: str = "", head: str = "", body_extra: str = "") -> str:
    """A city page: logo link to the home page, an article with a header, related links."""
    return f"""<html lang="nl"><head><title>{title_tag}</title>{head}</head><body>
<header class="site-header"><a class="logo" href="/">Gemeente Voorbeeld</a><nav><a href="/nieuws/">Nieuws</a></nav></header>
<main><article><header class="article-header"><h1>{h1}</h1><div class="article-meta">{dateline}</div></header>
<div class="article-body"><p>De gemeente opent in 2026 vijf nieuwe compostplaatsen. De inschrijving sluit op 1 april 2026.</p>{body_extra}</div>
</article></main><aside class="related"><h2>Gerelateerd</h2><p>Nieuwsbrief van 3 januari 2020</p></aside></body></html>"""


def test_generic_title_gives_way_to_the_article_h1():
    # <title> is the site's name (as its logo link says): the <h1> of the article is the title
    md = meta_of(_site_page("Gemeente Voorbeeld", "Compost in elke wijk"))
    assert md.title == "Compost in elke wijk" and md.title_source == "h1"
    assert md.html_title_generic and "Gemeente Voorbeeld" in md.site_names
    # a section name shares no word with the article's <h1>
    md = meta_of(_site_page("Nieuws", "Compost in elke wijk"))
    assert md.title == "Compost in elke wijk" and md.html_title_generic
    # a site name the caller knows (the source's publisher), shown with a note in brackets
    html = "<html><head><title>Comune di Prato (fixture)</title></head><body><h1>Bando 2024</h1><p>Testo.</p></body></html>"
    assert extract_metadata(parse_html(html), "https://x.it/a", site_names=["Comune di Prato"]).title == "Bando 2024"
    # the logo's name is dropped from "Title – Site"; a <title> that agrees with the <h1> stays
    md = meta_of(_site_page("Compost in elke wijk – Gemeente Voorbeeld", "Compost in elke wijk!"))
    assert md.title == "Compost in elke wijk" and md.title_source == "html"


def test_a_misused_application_name_is_not_the_site_name():
    html = """<html><head><title>Duvet lung: a medical mystery</title>
<meta name="application-name" content="Duvet lung: a medical mystery"><meta property="og:site_name" content="MSN">
</head><body><article><h1>Duvet lung: a medical mystery</h1><p>Text.</p></article></body></html>"""
    md = meta_of(html)
    assert md.title == "Duvet lung: a medical mystery"
    assert md.site_names == ["MSN"]


def test_date_shown_in_the_article_header():
    md = meta_of(_site_page("Gemeente Voorbeeld", "Compost", dateline='<p class="date">14 maart 2025</p>'), )
    assert md.published is None  # no metadata date …
    assert md.shown_date == utc(2025, 3, 14)  # … but the header shows one; not the body's 1 april 2026
    # an update date is not the publication date
    md = meta_of(_site_page("X", "Compost", dateline='Bijgewerkt <time>3 mei 2025</time> · <span>1 maart 2025</span>'))
    assert md.shown_date == utc(2025, 3, 1)
    # a date in a photo caption next to the title is about the photo
    page = _site_page("X", "Compost", dateline='<figure><figcaption>De eerste compostplaats, 12 juni 2019</figcaption></figure>')
    assert meta_of(page).shown_date is None
    # nothing in the header: body text and sidebars are not read
    assert meta_of(_site_page("X", "Compost")).shown_date is None


def test_language_codes():
    assert normalise_language_code("en-GB") == "en"
    assert normalise_language_code("pt_BR") == "pt"
    assert normalise_language_code("nb") == "no" and normalise_language_code("nn-NO") == "no"
    assert normalise_language_code("xx") is None and normalise_language_code("") is None


# =====================================================================================================
# Dates
# =====================================================================================================
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-03-14", utc(2025, 3, 14)),
        ("2025-03-14T10:15:00+01:00", utc(2025, 3, 14, 9, 15)),
        ("2025-03-14T10:15:00.123Z", utc(2025, 3, 14, 10, 15)),
        ("2025-03-14 10:15", utc(2025, 3, 14, 10, 15)),
        ("2025-03", utc(2025, 3, 1)),
        ("20250314", utc(2025, 3, 14)),
        ("Fri, 14 Mar 2025 10:15:00 GMT", utc(2025, 3, 14, 10, 15)),
        ("Fri, 14 Mar 2025 10:15:00 +0100", utc(2025, 3, 14, 9, 15)),
        ("Fri, 14 Mar 2025 10:15:00 CET", utc(2025, 3, 14, 9, 15)),
        ("D:20250314101500+01'00'", utc(2025, 3, 14, 9, 15)),
        ("14 maart 2025", utc(2025, 3, 14)),  # nl
        ("vrijdag 14 maart 2025", utc(2025, 3, 14)),
        ("14 mrt. 2025", utc(2025, 3, 14)),
        ("14/03/2025", utc(2025, 3, 14)),
        ("14.03.2025", utc(2025, 3, 14)),
        ("14-03-2025", utc(2025, 3, 14)),
        ("03/14/2025", utc(2025, 3, 14)),  # only the US reading is possible
        ("2025/03/14", utc(2025, 3, 14)),
        ("14 de março de 2025", utc(2025, 3, 14)),  # pt
        ("14 de marzo de 2025", utc(2025, 3, 14)),  # es
        ("2025 m. kovo 14 d.", utc(2025, 3, 14)),  # lt
        ("14 marca 2025", utc(2025, 3, 14)),  # pl
        ("14. März 2025", utc(2025, 3, 14)),  # de
        ("14. mars 2025", utc(2025, 3, 14)),  # no
        ("1er février 2025", utc(2025, 2, 1)),  # fr
        ("14 maggio 2025 alle 10:30", utc(2025, 5, 14, 10, 30)),  # it
        ("March 14th, 2025", utc(2025, 3, 14)),
        ("Sept. 3, 2024", utc(2024, 9, 3)),
        ("2025. március 14.", utc(2025, 3, 14)),  # hu
        ("14 lokakuuta 2024", utc(2024, 10, 14)),  # fi
        ("Published: 14 March 2025", utc(2025, 3, 14)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "hello", "1985-01-01", "2199-01-01", "31/02/2025", "Sun, 16 Dec 2012 11:47:32 +zz:00",
     "2013-01-28T11:30:00-06:00Textra", "14 Smarch 2025", "99/99/2025"],
)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_parse_date_results_are_aware_utc():
    for value in ("2025-03-14T10:15:00-05:00", datetime(2025, 3, 14, 10, 15), "14.03.2025"):
        dt = parse_date(value)
        assert dt.tzinfo is not None and dt.utcoffset() == timedelta(0)
    assert parse_date(datetime(2025, 1, 1, 1, tzinfo=timezone(timedelta(hours=2)))) == utc(2024, 12, 31, 23)


def test_month_names_clash_resolved_by_language():
    assert month_number("listopad") == 11  # Czech / Polish
    assert month_number("listopad", "hr") == 10  # Croatian
    assert parse_date("5. listopada 2024", "hr") == utc(2024, 10, 5)


def test_find_date_in_text():
    assert find_date("Gepubliceerd op 14 maart 2025 · Leestijd 3 min") == utc(2025, 3, 14)
    assert find_date("Posted 3/4/2024 by Ann") == utc(2024, 4, 3)
    assert find_date("On 3 May 20 people met") is None
    assert find_date("Version 2.10.2024 of the tool, released 2024-05-06") == utc(2024, 10, 2)


def test_pdf_date_forms():
    assert parse_pdf_date("D:2025") == utc(2025, 1, 1)
    assert parse_pdf_date("D:20250314") == utc(2025, 3, 14)
    assert parse_pdf_date("D:20250314101500Z") == utc(2025, 3, 14, 10, 15)
    assert parse_pdf_date("D:20250314101500-05'00") == utc(2025, 3, 14, 15, 15)
    assert parse_pdf_date("garbage") is None


def _feedparser_date_cases():
    root = corpora_dir()
    path = root / "feedparser-tests" / "date_parser_cases.json" if root else None
    if path is None or not path.is_file():
        return []
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    wanted = {"_parse_date_rfc822", "_parse_date_w3dtf", "_parse_date_asctime", "_parse_date_greek",
              "_parse_date_perforce"}
    # ISO 8601 truncated forms with two-digit years ('031231', '-0312') are ambiguous; we reject them.
    return [c for c in cases if c["parse_date"] in wanted or
            (c["parse_date"] == "_parse_date_iso8601" and c["input_value"][:4].isdigit()
             and c["input_value"][4:5] == "-" and c["input_value"][5:8].count("-") == 1)]


FEEDPARSER_DATES = _feedparser_date_cases()


@pytest.mark.corpora
@pytest.mark.skipif(not FEEDPARSER_DATES, reason="shared corpora (feedparser-tests) not available")
def test_feedparser_date_cases():
    wrong = []
    for c in FEEDPARSER_DATES:
        exp = c["expected_value"]
        if exp is not None and not (1990 <= exp[0]):
            exp = None  # absurd years are rejected on purpose
        got = parse_date(c["input_value"])
        got = list(got.timetuple())[:6] if got else None
        if got != (exp[:6] if exp else None):
            wrong.append((c["input_value"], got, exp))
    assert len(FEEDPARSER_DATES) >= 50
    assert not wrong, wrong


# =====================================================================================================
# Language
# =====================================================================================================
LONG_TEXTS = {
    "en": "The city council adopted a circular economy strategy that aims to halve the use of raw materials by 2030, with measures for construction, food waste and textiles.",
    "nl": "De gemeenteraad heeft een strategie voor de circulaire economie goedgekeurd die het gebruik van grondstoffen tegen 2030 wil halveren, met maatregelen voor de bouw en voedselverspilling.",
    "fr": "Le conseil municipal a adopté une stratégie d'économie circulaire qui vise à réduire de moitié l'utilisation des matières premières d'ici 2030, avec des mesures pour la construction.",
    "de": "Der Stadtrat hat eine Strategie für die Kreislaufwirtschaft beschlossen, die den Verbrauch von Rohstoffen bis 2030 halbieren soll, mit Maßnahmen für das Bauwesen und Lebensmittelabfälle.",
    "it": "Il consiglio comunale ha adottato una strategia per l'economia circolare che mira a dimezzare l'uso delle materie prime entro il 2030, con misure per l'edilizia e lo spreco alimentare.",
    "pt": "A câmara municipal aprovou uma estratégia de economia circular que pretende reduzir para metade a utilização de matérias-primas até 2030, com medidas para a construção e o desperdício alimentar.",
    "es": "El ayuntamiento aprobó una estrategia de economía circular que pretende reducir a la mitad el uso de materias primas para 2030, con medidas para la construcción y el desperdicio alimentario.",
    "lt": "Miesto taryba patvirtino žiedinės ekonomikos strategiją, kuria siekiama iki 2030 metų perpus sumažinti žaliavų naudojimą, numatant priemones statybai ir maisto atliekoms.",
    "pl": "Rada miasta przyjęła strategię gospodarki o obiegu zamkniętym, która ma do 2030 roku o połowę zmniejszyć zużycie surowców, z działaniami dla budownictwa i odpadów żywności.",
    "no": "Bystyret har vedtatt en strategi for sirkulær økonomi som skal halvere bruken av råvarer innen 2030, med tiltak for byggenæringen og matsvinn.",
    "sv": "Kommunfullmäktige har antagit en strategi för cirkulär ekonomi som ska halvera användningen av råvaror till 2030, med åtgärder för byggsektorn och matsvinn.",
    "fi": "Kaupunginvaltuusto hyväksyi kiertotalousstrategian, jonka tavoitteena on puolittaa raaka-aineiden käyttö vuoteen 2030 mennessä rakentamisen ja ruokahävikin toimilla.",
}
SHORT_TEXTS = {
    "en": "Repair cafés open in every district",
    "nl": "Gemeente opent kringloopwinkel in het centrum",
    "fr": "La ville ouvre une nouvelle ressourcerie",
    "de": "Stadt eröffnet neues Reparaturcafé im Zentrum",
    "it": "Il comune apre un nuovo centro del riuso",
    "pt": "Câmara abre novo centro de reutilização",
    "es": "El ayuntamiento abre un nuevo centro de reutilización",
    "lt": "Miestas atidaro naują pakartotinio naudojimo centrą",
    "pl": "Miasto otwiera nowy punkt napraw i ponownego użycia",
}


@pytest.mark.parametrize("lang, text", sorted(LONG_TEXTS.items()))
def test_detect_language_long_texts(lang, text):
    assert detect_language(text) == lang
    # a wrong page/source label does not override a clear text
    assert detect_language(text, "en" if lang != "en" else "de") == lang


@pytest.mark.parametrize("lang, text", sorted(SHORT_TEXTS.items()))
def test_detect_language_short_texts(lang, text):
    assert detect_language(text) == lang


def test_language_hint_breaks_ties_only_when_text_is_thin():
    # "economia circular" is Portuguese, Galician, Catalan...: the source says Portuguese
    assert detect_language("economia circular", "pt") == "pt"
    assert detect_language("Economia circular", None, None, "es") == "es"
    assert detect_language("", "nl") == "nl"
    assert detect_language("  ", None) is None
    # a few English words on a Dutch site: the hint is not a close candidate
    assert detect_language("Circular economy action plan for the construction sector", "nl") == "en"


# =====================================================================================================
# PDFs
# =====================================================================================================
def test_pdf_text_and_info():
    data = make_pdf(
        [["Circular Economy Roadmap", "City of Example, 2025",
          "This roadmap describes how the city will reduce waste and reuse building materials in all",
          "municipal projects. It was prepared with residents and local firms over two years."],
         ["Annex: list of actions"]],
        info={"Title": "Circular Economy Roadmap 2025", "Author": "Environment Department; Jane Doe",
              "Subject": "How the city becomes circular", "Keywords": "circular economy, waste",
              "CreationDate": "D:20250314101500+01'00'", "ModDate": "D:20250320080000Z"},
    )
    pdf = extract_pdf(data)
    assert pdf.page_count == 2 and pdf.pages_read == 2
    assert "reduce waste and reuse building materials in all municipal projects" in pdf.text
    assert "Annex: list of actions" in pdf.text
    assert pdf.title == "Circular Economy Roadmap 2025"
    assert pdf.author == "Environment Department; Jane Doe"
    assert pdf.keywords == ["circular economy", "waste"]
    assert pdf.created == utc(2025, 3, 14, 9, 15)
    assert pdf.modified == utc(2025, 3, 20, 8)
    assert pdf.first_line == "Circular Economy Roadmap"


def test_pdf_placeholder_title_is_ignored():
    data = make_pdf([["Routekaart circulaire bouw", "Gemeente Voorbeeld"]],
                    info={"Title": "Microsoft Word - routekaart_v3_def.docx"})
    pdf = extract_pdf(data)
    assert pdf.title is None and pdf.first_line == "Routekaart circulaire bouw"


def test_pdf_page_cap():
    data = make_pdf([[f"Page {i} text about recycling."] for i in range(1, 8)])
    pdf = extract_pdf(data, max_pages=3)
    assert pdf.page_count == 7 and pdf.pages_read == 3 and pdf.truncated
    assert "Page 3" in pdf.text and "Page 4" not in pdf.text


@pytest.mark.parametrize(
    "data, message",
    [
        (make_pdf([["secret"]], encrypt=True), "encrypted"),
        (b"%PDF-1.4\nthis is not really a pdf", "corrupt"),
        (make_pdf([["cut short"]])[:200], "corrupt"),
        (b"", "empty"),
    ],
)
def test_pdf_errors(data, message):
    with pytest.raises(PdfError, match=message):
        extract_pdf(data)


# =====================================================================================================
# Classification
# =====================================================================================================
CLASSIFY_CASES = [
    # (title, body, url, categories, language, type, themes that must be there, themes that must not)
    ("Circular Economy Strategy 2030", "The city adopts a strategy with a roadmap for plastics, plastic packaging and single-use items.",
     "https://city.eu/en/policy/strategy-2030", [], "en", "strategy", {"strategies-roadmaps", "plastics"}, {"water"}),
    # a sub-theme does not bring its parent along (governance, urban-resources): facets stay narrow
    ("Webinar: circular public procurement", "Join us online.", "https://city.eu/events/2025/webinar", [], "en",
     "event", {"incentives-procurement"}, {"textiles", "governance"}),
    ("Routekaart circulaire bouw", "In 2030 zijn alle bouwprojecten circulair. Bouw- en sloopafval wordt hergebruikt in nieuwe gebouwen.",
     "https://gemeente.nl/routekaart", [], "nl", "strategy", {"construction", "strategies-roadmaps"}, {"plastics", "urban-resources"}),
    ("Gaspillage alimentaire : appel à projets 2025", "La métropole lance un appel à projets contre le gaspillage alimentaire dans les cantines.",
     "https://metropole.fr/appel-a-projets", [], "fr", "funding", {"food-waste"}, {"water"}),
    ("Leitfaden für zirkuläres Bauen", "Der Leitfaden zeigt, wie Baustoffe aus dem Rückbau wiederverwendet werden.",
     "https://stadt.de/leitfaden", [], "de", "guide", {"construction"}, set()),
    ("Buone pratiche: il centro del riuso di Torino", "Un caso di studio sul riuso di mobili e abbigliamento usato.",
     "https://comune.it/buone-pratiche/riuso", [], "it", "good-practice", {"sharing-economy"}, set()),
    ("Relatório sobre águas residuais", "Estudo sobre a reutilização de água e águas residuais tratadas na cidade.",
     "https://cm.pt/relatorio", [], "pt", "report", {"water"}, {"plastics"}),
    ("Reglamento de residuos y economía circular", "La ordenanza regula la recogida selectiva de residuos y el reciclaje.",
     "https://ayto.es/normativa/residuos", [], "es", "policy", {"waste"}, set()),
    ("Naujienos: tekstilės atliekų surinkimas", "Mieste pradedamas tekstilės ir drabužių atliekų surinkimas.",
     "https://miestas.lt/naujienos/tekstile", [], "lt", "news", {"textiles", "waste"}, set()),
    ("Veileder for ombruk i byggeprosjekter", "Veilederen viser hvordan ombruk av byggematerialer reduserer byggavfall.",
     "https://kommune.no/veileder", [], "no", "guide", {"construction"}, set()),
    ("Symbioza przemysłowa w parku przemysłowym", "Ciepło odpadowe z zakładu ogrzewa sąsiednie budynki; produkty uboczne są wymieniane.",
     "https://miasto.pl/aktualnosci/symbioza", [], "pl", "news", {"industrial-symbiosis"}, set()),
    # feed categories and schema.org types count
    ("Open call", "Text.", "https://x.eu/item/1", ["Funding", "Textiles"], "en", "funding", {"textiles"}, set()),
    ("Monthly figures", "Figures.", "https://x.eu/item/2", [], "en", "other", set(), {"waste"}),
    # longest match: a "policy brief" is a report, not a policy
    ("Policy brief on plastic waste", "", "https://x.eu/item/3", [], "en", "report", {"plastics", "waste"}, set()),
]


@pytest.mark.parametrize("title, body, url, cats, lang, type_, themes, not_themes", CLASSIFY_CASES,
                         ids=[c[0][:30] for c in CLASSIFY_CASES])
def test_classify(title, body, url, cats, lang, type_, themes, not_themes):
    result = classify(title=title, body=body, url=url, categories=cats, language=lang)
    assert result.type == type_, result.explain()
    assert themes <= set(result.themes), result.explain()
    assert not (not_themes & set(result.themes)), result.explain()
    assert set(result.themes) <= set(default_taxonomy().themes)


def test_classify_schema_types_and_pdf_default():
    assert classify(title="Something", schema_types=["NewsArticle"]).type == "news"
    assert classify(title="Something", schema_types=["https://schema.org/Event"]).type == "event"
    assert classify(title="Annual figures", format="pdf").type == "report"
    assert classify(title="Annual figures", format="html").type == "other"


def test_body_mentions_are_weighed_by_length():
    filler = "The council met and discussed many different topics on the agenda today. " * 60  # ~720 words
    once = classify(title="Council minutes", body=filler + "There was a question about plastic bottles.", language="en")
    assert "plastics" not in once.themes
    many = classify(title="Council minutes", body=filler + " ".join(["Plastic waste and plastics recycling."] * 8), language="en")
    assert "plastics" in many.themes


def test_classification_is_explained_and_deterministic():
    a = classify(title="Repair café guide", body="How to start a repair café.", language="en")
    b = classify(title="Repair café guide", body="How to start a repair café.", language="en")
    assert a == b
    assert "title: guide" in a.evidence["type:guide"]
    assert any("repair caf" in e for e in a.evidence["theme:sharing-economy"])
    assert "guide" in a.explain()


def test_folding_matches_accents_and_case():
    assert fold("ÉCONOMIE Circulaire – Łódź, Ørsted, Straße") == "economie circulaire – lodz, orsted, strasse"
    r = classify(title="DECHETS ET REEMPLOI", language="fr")
    assert "waste" in r.themes


FILLER = "The city council discussed the budget, the new tram line and the opening hours of the library. " * 10


def test_overlapping_keywords_count_for_the_most_specific_theme():
    body = "Food waste in school canteens halves. Surplus food goes to the food bank. " * 2
    r = classify(title="Canteens", body=body + FILLER, language="en")
    assert "food-waste" in r.themes and "waste" not in r.themes, r.explain()
    assert classify(title="Afvalwater hergebruiken", language="nl").themes == ["water"]  # afvalwater*, not afval*


def test_broad_words_count_in_the_title_not_in_the_body():
    body = FILLER + "Waste, waste and more waste: construction of the new waste depot. Buildings. " * 3
    r = classify(title="Council news", body=body, language="en")
    assert r.themes == [], r.explain()
    assert "waste" in classify(title="Less waste in every district", body=FILLER, language="en").themes
    # specific terms in the body are evidence
    r = classify(title="Council news", body=FILLER + "Separate collection and waste prevention cut landfill.", language="en")
    assert "waste" in r.themes, r.explain()


def test_a_parent_theme_needs_its_own_evidence():
    r = classify(title="Compost and biogas from garden waste", body="Organic waste becomes compost.", language="en")
    assert "bio-waste" in r.themes and "urban-resources" not in r.themes, r.explain()
    r = classify(title="Urban mining", body="A material flow analysis of secondary raw materials in the city; compost.", language="en")
    assert "urban-resources" in r.themes, r.explain()
    assert default_taxonomy().children("urban-resources")  # the hierarchy is there, for display


def test_few_themes_and_a_relative_cut_off():
    body = ("Textile collection, second-hand clothing and textile recycling: the city's textiles plan. " * 3
            + "One bin is also for plastic bottles. ")
    r = classify(title="Textiles everywhere", body=body + FILLER, language="en")
    assert r.themes == ["textiles"], r.explain()  # one mention of plastics is no theme
    # eight themes with two keywords each: only the few best are kept
    everything = ("Food waste and the food bank; compost and biogas; rainwater and wastewater; textiles and "
                  "clothing; a repair café in the sharing economy; a living lab for co-creation; urban mining "
                  "and material flow analysis; eco-design and the right to repair. ")
    r = classify(title="Everything", body=everything * 2, language="en")
    assert len([t for t, v in r.theme_scores.items() if v >= 3]) >= 8
    assert 1 <= len(r.themes) <= Classifier.MAX_THEMES == 4


def test_categories_name_themes_and_types_imply_themes():
    r = classify(title="Update", body="Short text.", categories=["food-waste", "Awareness & education"], language="en")
    assert set(r.themes) == {"food-waste", "awareness-education"}, r.explain()
    r = classify(title="Den Haag Circulair 2030: de strategie", body="De gemeente stelt het uitvoeringsprogramma vast.",
                 url="https://gemeente.nl/nieuws/x", language="nl")
    assert r.type == "strategy" and "strategies-roadmaps" in r.themes, r.explain()


def test_news_is_a_fallback_type():
    # cities publish calls, strategies and events in their news section: the URL says little
    r = classify(title="Call for proposals: circular start-ups 2026", url="https://city.eu/news/call", language="en")
    assert r.type == "funding", r.explain()
    assert classify(title="New bins in the harbour", url="https://city.eu/news/bins", language="en").type == "news"


def test_taxonomy_matches_resource_types_and_languages():
    tax = default_taxonomy()
    assert set(tax.types) == set(RESOURCE_TYPES)
    for section in (tax.types, tax.themes):
        for key, spec in section.items():
            if key != "other":
                assert all(spec.keywords.get(lang) for lang in REQUIRED_LANGUAGES), key
    for key in ("strategies-roadmaps", "business-models", "governance", "eco-design", "food-waste",
                "sharing-economy", "industrial-symbiosis", "urban-resources", "bio-waste", "water",
                "construction", "waste", "textiles", "plastics", "policy", "spatial-planning",
                "cooperation", "permitting", "incentives-procurement", "awareness-education"):
        assert key in tax.themes
    Classifier(tax)  # compiles


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("version: 1\ntypes: {}\nthemes: {}\n", "other"),
        ("version: 1\ntypes: {other: {label: Other}}\nthemes:\n  x: {label: X, keywords: {en: [a]}}\n", "no keywords for nl"),
        ("version: 1\ntypes: {other: {label: Other}}\nthemes:\n  x: {label: X, parent: nope}\n", "unknown theme"),
        ("version: 1\ntypes: {other: {label: Other}}\nthemes:\n  x: {label: X, types: [nope], keywords: {"
         + ", ".join(f'"{lang}": [a]' for lang in REQUIRED_LANGUAGES) + "}}\n", "unknown type 'nope'"),
        ("version: 1\ntypes: {other: {label: Other}}\nthemes:\n  x: {label: X, broad: {en: ['a(b']}}\n", "letters or digits"),
        ("version: 1\ntypes: {other: {label: Other, colour: red}}\nthemes: {}\n", "unknown key"),
        ("version: 1\ntypes: {other: {label: Other}}\nthemes:\n  x: {label: X, keywords: {en: ['a(b']}}\n", "letters or digits"),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_bad_taxonomy_fails_with_the_key(tmp_path: Path, yaml_text, message):
    p = tmp_path / "taxonomy.yaml"
    p.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as err:
        load_taxonomy(p)
    assert str(p) in str(err.value)


# =====================================================================================================
# normalise() end to end
# =====================================================================================================
GHENT_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>Circulaire strategie 2030 | Stad Gent</title>
<meta property="og:title" content="Circulaire strategie 2030">
<meta name="description" content="Gent wil tegen 2030 een circulaire stad zijn. &lt;b&gt;Dit&lt;/b&gt; is de strategie.">
<link rel="canonical" href="/nl/circulaire-strategie-2030?utm_source=rss">
<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
 {"@type":"Article","headline":"Circulaire strategie 2030","author":{"@id":"#p1"},"datePublished":"2025-03-14T10:00:00+01:00"},
 {"@type":"Person","@id":"#p1","name":"An Peeters"}]}</script>
</head><body><nav><a href="/">Home</a> <a href="/nieuws">Nieuws</a></nav>
<div class="cookie-banner">Wij gebruiken cookies.</div>
<article><h1>Circulaire strategie 2030</h1>
<p>De stad Gent heeft een nieuwe strategie voor de circulaire economie goedgekeurd. Tegen 2030 wil de stad het afval met een derde verminderen en het hergebruik van bouwmaterialen verdubbelen.</p>
<p>De strategie richt zich op afvalpreventie, hergebruik en recyclage van afval. Bewoners, bedrijven en kennisinstellingen werken samen in een stadsbreed netwerk.</p>
<p>Elke wijk krijgt een repair café en een deelpunt voor gereedschap. Het stadsbestuur trekt daar de komende jaren extra middelen voor uit.</p>
</article><footer>© Stad Gent — Privacy</footer></body></html>"""


def test_normalise_html_page():
    raw = raw_doc(GHENT_PAGE.encode("utf-8"), url="https://Stad.Gent:443/nl/x?utm_medium=rss#top",
                  link="https://stad.gent/nl/x", hints=Hints(guid="urn:gent:42", title="Feed title",
                  published=utc(2025, 1, 1), categories=["Afval"]))
    res = normalise(raw, FEED_SOURCE)
    assert res.url == "https://stad.gent/nl/circulaire-strategie-2030"  # rel=canonical, same host
    assert res.id == resource_id_for(res.url)
    assert res.title == "Circulaire strategie 2030"  # page metadata wins over the feed
    assert res.summary == "Gent wil tegen 2030 een circulaire stad zijn. Dit is de strategie."
    assert "hergebruik van bouwmaterialen verdubbelen" in res.body
    assert "cookies" not in res.body and "Privacy" not in res.body
    assert res.authors == ["An Peeters"]
    assert res.published == utc(2025, 3, 14, 9)  # page date wins over the feed's
    assert res.language == "nl"
    assert res.type == "strategy"
    assert {"strategies-roadmaps", "waste"} <= set(res.themes)
    assert res.places[0].country == "BE" and res.places[0].city == "Ghent"
    assert res.publisher == "City of Example"
    assert res.format == "html"
    assert res.licence == "https://creativecommons.org/licenses/by/4.0/"
    assert res.content_hash == content_hash(res.body)
    assert res.harvested_at == FETCHED
    (inst,) = res.instances
    assert (inst.source_id, inst.url, inst.guid) == ("city", res.url, "urn:gent:42")
    assert inst.first_seen == inst.last_seen == FETCHED


def test_canonical_link_on_another_host_or_home_is_ignored():
    for href in ("https://aggregator.example.org/copy", "/"):
        html = GHENT_PAGE.replace("/nl/circulaire-strategie-2030?utm_source=rss", href)
        res = normalise(raw_doc(html.encode(), url="https://stad.gent/nl/x?utm_medium=rss"), FEED_SOURCE)
        assert res.url == "https://stad.gent/nl/x"


def test_title_and_date_of_a_page_without_metadata():
    # the <title> is the site's name and there is no date in the metadata (a common CMS template)
    page = _site_page("Gemeente Voorbeeld", "Compost in elke wijk", dateline='<p class="date">14 maart 2025</p>')
    source = FeedSource(id="gem", name="Gemeente Voorbeeld – nieuws", type="feed", url="https://gem.nl/feed",
                        publisher="Gemeente Voorbeeld", language="nl")
    res = normalise(raw_doc(page.encode(), url="https://gem.nl/nieuws/compost"), source)
    assert res.title == "Compost in elke wijk"
    assert res.published == utc(2025, 3, 14)  # the date shown under the title
    # the feed's publication date comes before the shown date; a sitemap's <lastmod> after it
    res = normalise(raw_doc(page.encode(), hints=Hints(published=utc(2025, 3, 13, 16), updated=utc(2025, 6, 1))), source)
    assert res.published == utc(2025, 3, 13, 16) and res.updated == utc(2025, 6, 1)
    res = normalise(raw_doc(page.encode(), hints=Hints(updated=utc(2025, 6, 1))), source)
    assert res.published == utc(2025, 3, 14) and res.updated == utc(2025, 6, 1)
    bare = _site_page("Gemeente Voorbeeld", "Compost in elke wijk")
    res = normalise(raw_doc(bare.encode(), hints=Hints(updated=utc(2025, 6, 1))), source)
    assert res.published == utc(2025, 6, 1) and res.updated is None  # the only date there is


def test_feed_title_beats_a_generic_title():
    page = b"""<html><head><title>Gemeente Voorbeeld</title></head><body><a href="/">Gemeente Voorbeeld</a>
<div class="content"><p>De gemeente opent vijf nieuwe compostplaatsen in de wijken.</p></div></body></html>"""
    res = normalise(raw_doc(page, hints=Hints(title="Vijf nieuwe compostplaatsen")), FEED_SOURCE)
    assert res.title == "Vijf nieuwe compostplaatsen"
    # a <title> that agrees with the feed's title is the page's word (the feed's may be shortened) …
    res = normalise(raw_doc(page.replace(b"<title>Gemeente Voorbeeld", b"<title>Vijf nieuwe compostplaatsen in de wijken"),
                            hints=Hints(title="Vijf compostplaatsen")), FEED_SOURCE)
    assert res.title == "Vijf nieuwe compostplaatsen in de wijken"
    # … one that shares no word with it is a section name or a stale template
    res = normalise(raw_doc(page.replace(b"<title>Gemeente Voorbeeld", b"<title>Nieuws"),
                            hints=Hints(title="Vijf nieuwe compostplaatsen")), FEED_SOURCE)
    assert res.title == "Vijf nieuwe compostplaatsen"


def test_feed_dates_used_when_page_has_none():
    html = b"<html><head><title>Kringloop</title></head><body><article><p>" + b"De kringloopwinkel verhuist naar de haven. " * 5 + b"</p></article></body></html>"
    res = normalise(raw_doc(html, hints=Hints(published=utc(2024, 5, 6, 7), updated=utc(2024, 5, 7), authors=["Redactie"])), FEED_SOURCE)
    assert res.published == utc(2024, 5, 6, 7) and res.updated == utc(2024, 5, 7)
    assert res.authors == ["Redactie"]


def test_normalise_pdf():
    data = make_pdf(
        [["Routekaart circulaire bouw", "Gemeente Voorbeeld",
          "Deze routekaart beschrijft hoe de gemeente tegen 2030 alle bouwprojecten circulair maakt.",
          "Bouw- en sloopafval wordt gescheiden ingezameld en bouwmaterialen worden hergebruikt.",
          "Het plan is opgesteld met bewoners, aannemers en de sloopsector."]],
        info={"Title": "untitled", "Author": "Team Circulair", "CreationDate": "D:20240910120000Z"},
    )
    raw = raw_doc(data, url="https://www.city.eu/docs/Routekaart%20Bouw.pdf?utm_source=x", ctype="application/pdf",
                  hints=Hints(published=utc(2023, 1, 1), language="en"))
    res = normalise(raw, FEED_SOURCE)
    assert res.format == "pdf"
    assert res.url == "https://www.city.eu/docs/Routekaart%20Bouw.pdf"
    assert res.title == "Routekaart circulaire bouw"  # first line: the Info title is a placeholder
    assert res.published == utc(2024, 9, 10, 12)  # the document's own date wins
    assert res.authors == ["Team Circulair"]
    assert res.language == "nl"  # the text, not the feed's hint
    assert res.type == "strategy"
    assert "construction" in res.themes
    assert "alle bouwprojecten circulair" in res.body
    assert len(res.summary) <= 400 and res.summary


def test_pdf_titled_with_the_publishers_name_gets_a_real_title():
    data = make_pdf([["Afvalbeleidsplan 2025-2030", "Het plan halveert het restafval per inwoner."]],
                    info={"Title": "City of Example"})
    res = normalise(raw_doc(data, url="https://www.city.eu/docs/plan.pdf", ctype="application/pdf"), FEED_SOURCE)
    assert res.title == "Afvalbeleidsplan 2025-2030"


def test_pdf_served_as_octet_stream_is_sniffed():
    data = make_pdf([["Textile waste study", "A study of textile collection in five cities and what it shows."]])
    res = normalise(raw_doc(data, url="https://x.eu/download?id=7", ctype="application/octet-stream"), FEED_SOURCE)
    assert res.format == "pdf" and "textiles" in res.themes


def test_normalise_feed_content_only():
    hints = Hints(
        guid="tag:city.eu,2025:17", title="Nieuwe repair cafés in elke wijk",
        summary="<p>Vanaf april opent in elke wijk een <b>repair café</b>.</p>",
        content_html="<p>Vanaf april opent in elke wijk een <b>repair café</b>. Vrijwilligers herstellen er gratis "
                     "kapotte toestellen, fietsen en kleding.</p><p>Zo wil de stad afval voorkomen en hergebruik stimuleren.</p>"
                     "<script>alert(1)</script>",
        published=utc(2025, 3, 1, 8), categories=["Nieuws", "Deeleconomie"], language="nl",
    )
    raw = RawDocument(source_id="city", url="https://www.city.eu/nieuws/repair?utm_source=rss",
                      final_url="https://www.city.eu/nieuws/repair?utm_source=rss", body=b"", hints=hints, fetched_at=FETCHED)
    res = normalise(raw, FEED_SOURCE)
    assert res.url == "https://www.city.eu/nieuws/repair"
    assert res.title == "Nieuwe repair cafés in elke wijk"
    assert res.summary == "Vanaf april opent in elke wijk een repair café."
    assert res.body.startswith("Vanaf april opent in elke wijk een repair café. Vrijwilligers")
    assert "\n\nZo wil de stad" in res.body and "alert" not in res.body
    assert res.published == utc(2025, 3, 1, 8)
    assert res.language == "nl" and res.type == "news"
    assert "sharing-economy" in res.themes
    assert res.instances[0].guid == "tag:city.eu,2025:17"


def test_thin_script_page_falls_back_to_feed_content():
    html = b"<html><head><title>Zero waste week</title></head><body><div id='app'>Loading...</div></body></html>"
    content = "<p>" + "During zero waste week the city collects old textiles and electronics at every school. " * 4 + "</p>"
    res = normalise(raw_doc(html, hints=Hints(content_html=content)), FEED_SOURCE)
    assert "collects old textiles" in res.body and res.title == "Zero waste week"


def test_same_article_in_different_chrome_has_same_hash():
    a = normalise(raw_doc(page("a"), url="https://www.city.eu/news/strategy"), FEED_SOURCE)
    b = normalise(raw_doc(page("b"), url="https://mirror.example.org/2025/03/strategy.html"), FEED_SOURCE)
    assert a.url != b.url
    assert a.content_hash == b.content_hash
    # typographic quotes, dashes, spacing and case do not change it either
    assert content_hash("“We want to keep materials in use,” he said — now.") == content_hash('"we want  to keep materials in use," he said - now')
    assert content_hash("Plan A") != content_hash("Plan B")


def test_crawl_source_selectors_override():
    html = """<html><head><title>Site | Generic title</title><meta name="description" content="desc"></head><body>
<div class="hdr"><span class="t">Actieplan afvalpreventie</span></div>
<div class="meta">Datum: <span class="d">3 februari 2025</span> · <span class="who">Dienst Milieu</span>, <span class="who">Jan Jansen</span></div>
<div class="txt"><p>Het actieplan wil het restafval per inwoner halveren.</p><p>Er komen meer containers voor gft-afval.</p></div>
<div class="rel"><p>Ander nieuws: parkeren wordt duurder.</p></div></body></html>"""
    source = CrawlSource(id="gem", name="Gemeente", type="crawl", start_urls=["https://gem.nl/"],
                         selectors=Selectors(title=".hdr .t", date="//span[@class='d']", body="div.txt", author=".who"))
    res = normalise(raw_doc(html.encode(), url="https://gem.nl/actieplan", source_id="gem"), source)
    assert res.title == "Actieplan afvalpreventie"
    assert res.published == utc(2025, 2, 3)
    assert res.authors == ["Dienst Milieu", "Jan Jansen"]
    assert res.body == "Het actieplan wil het restafval per inwoner halveren.\n\nEr komen meer containers voor gft-afval."
    assert res.places == []  # the source has no country or city

    bad = CrawlSource(id="gem", name="Gemeente", type="crawl", start_urls=["https://gem.nl/"],
                      selectors=Selectors(body="div[[["))
    with pytest.raises(NormaliseError, match="selector"):
        normalise(raw_doc(html.encode(), url="https://gem.nl/actieplan"), bad)


@pytest.mark.parametrize(
    "raw, message",
    [
        (raw_doc(b"\x89PNG\r\n\x1a\n....", ctype="image/png"), "unsupported content type image/png"),
        (raw_doc(b"", ctype="text/html"), "no text could be extracted"),
        (raw_doc(b"<html><body><script>x()</script></body></html>"), "no text could be extracted"),
        (raw_doc(b"   ", ctype="text/html"), "no text could be extracted"),
        (raw_doc(make_pdf([["x"]], encrypt=True), ctype="application/pdf"), "PDF cannot be read: it is encrypted"),
        (raw_doc(b"%PDF-1.7 broken", ctype="application/pdf"), "PDF cannot be read: it is corrupt"),
        (raw_doc(b"<p>gone</p>", status=404), "HTTP status 404"),
        (raw_doc(b"<p>text</p>", url="not a url"), "no usable URL"),
    ],
)
def test_normalise_errors(raw, message):
    with pytest.raises(NormaliseError, match=message):
        normalise(raw, FEED_SOURCE)


def test_pdf_without_a_text_layer_is_kept_flagged_with_its_metadata():
    scan = make_pdf([[]], info={"Title": "Plan for textile collection 2025",
                                "Author": "City archive", "Keywords": "textiles; collection"})
    raw = raw_doc(scan, url="https://www.city.eu/docs/textile-plan-scan.pdf",
                  ctype="application/pdf", hints=Hints(title="Textile plan (scan)"))
    res = normalise(raw, FEED_SOURCE)
    assert res.flags == ["no-text-layer"] and res.format == "pdf" and res.body == ""
    assert res.title == "Plan for textile collection 2025"
    # the file name and metadata are what a search can find it by
    assert "textile-plan-scan.pdf" in res.summary and "City archive" in res.summary
    assert "textiles" in res.summary
    # two different scans never share a content hash (they would be merged as one)
    other = normalise(raw_doc(make_pdf([[], []]), url="https://www.city.eu/docs/other.pdf",
                              ctype="application/pdf"), FEED_SOURCE)
    assert other.flags == ["no-text-layer"] and other.title == "other"
    assert other.content_hash != res.content_hash


def test_html_served_without_content_type_is_sniffed():
    res = normalise(raw_doc(b"<!DOCTYPE html><title>Kompost</title><p>Kompost aus Bioabfall f\xfcr st\xe4dtische G\xe4rten, Bioabfall und Kompost.</p>", ctype=None), FEED_SOURCE)
    assert res.title == "Kompost" and "städtische Gärten" in res.body
    assert res.language == "de" and "bio-waste" in res.themes


def test_summary_is_plain_and_bounded():
    long = "Sentence number one is here. " * 30
    s = make_summary(long)
    assert len(s) <= 400 and s.endswith(".")
    s = make_summary("word " * 200)
    assert len(s) <= 400 and s.endswith("…")
    html = b"<html><head><title>T</title></head><body><article><h2>Intro</h2><p>" + b"Aa bb cc dd ee ff. " * 40 + b"</p></article></body></html>"
    res = normalise(raw_doc(html), FEED_SOURCE)
    assert res.summary.startswith("Aa bb cc") and len(res.summary) <= 400
