"""The feed parser on bytes (no server): every format the portal reads, encodings, entry
identity, bad input, and a robustness sweep over real-world feed corpora.

``parse_feed`` is what turns a publisher's feed into entries to harvest. A mistake here loses
items silently (a wrong identity merges two entries), garbles text in the search results (a
wrong encoding), or stops a whole source (an exception other than ``NotAFeed``).
"""

from __future__ import annotations

import io
import json
import random
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from harvesters.feeds import NotAFeed, ParsedFeed, parse_feed

from .conftest import corpora_dir

# feedparser warns each time an entry without <updated> is asked for its updated date
pytestmark = pytest.mark.filterwarnings(
    "ignore:To avoid breaking existing software while fixing issue 310:DeprecationWarning")

FEED_URL = "https://www.oslo.kommune.no/feeds/klima.xml"
RSS = {"content-type": "application/rss+xml; charset=utf-8"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def assert_utc(dt: datetime | None) -> None:
    assert dt is not None and dt.tzinfo is not None and dt.utcoffset() == timedelta(0), dt


def by_title(feed: ParsedFeed) -> dict:
    return {e.hints.title: e for e in feed.entries}


# -- the formats ----------------------------------------------------------------------------

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
 <title>Oslo kommune \xe2\x80\x93 klima og milj\xc3\xb8</title>
 <link>https://www.oslo.kommune.no/klima/</link>
 <description>Nyheter om klima og sirkul\xc3\xa6r \xc3\xb8konomi</description>
 <language>nb-NO</language>
 <item>
  <title>Sirkul\xc3\xa6r strategi vedtatt</title>
  <link>/klima/sirkulaer-strategi</link>
  <guid isPermaLink="false">oslo-2024-0042</guid>
  <pubDate>Tue, 05 Mar 2024 14:30:00 +0100</pubDate>
  <dc:creator>Kari Nordmann</dc:creator>
  <category>Sirkul\xc3\xa6r \xc3\xb8konomi</category>
  <category>Strategi</category>
  <description>Bystyret har vedtatt &lt;b&gt;strategien&lt;/b&gt;.</description>
  <content:encoded><![CDATA[<p>Hele <em>strategien</em> og
   <a href="/klima/vedlegg">vedlegg</a>.</p><script>alert("x")</script>]]></content:encoded>
  <enclosure url="/files/strategi.pdf" length="482113" type="application/pdf"/>
  <enclosure url="https://cdn.oslo.kommune.no/bilde.jpg" length="1200" type="image/jpeg"/>
 </item>
 <item>
  <title>Ombruk i bydelene</title>
  <link>https://www.oslo.kommune.no/klima/ombruk</link>
  <pubDate>Wed, 06 Mar 2024 08:00:00 GMT</pubDate>
  <author>post@oslo.kommune.no (Ola Nordmann)</author>
  <description>Kort omtale</description>
  <enclosure url="https://www.oslo.kommune.no/getfile.php/ombruk.PDF?v=2" length="10"
             type="application/octet-stream"/>
 </item>
</channel>
</rss>"""


def test_rss_20():
    feed = parse_feed(RSS20, FEED_URL, RSS)  # format, title and language: see below
    assert feed.link == "https://www.oslo.kommune.no/klima/"
    assert feed.warning is None
    first, second = feed.entries
    assert first.guid == "oslo-2024-0042"
    # a relative link is resolved against the feed's own URL
    assert first.link == "https://www.oslo.kommune.no/klima/sirkulaer-strategi"
    h = first.hints
    assert h.title == "Sirkulær strategi vedtatt"
    assert h.published == utc(2024, 3, 5, 13, 30)
    assert_utc(h.published)
    assert h.authors == ["Kari Nordmann"]
    assert h.categories == ["Sirkulær økonomi", "Strategi"]
    assert h.summary == "Bystyret har vedtatt <b>strategien</b>."
    # content:encoded is the full content: kept apart from the summary, sanitised, its
    # relative links made absolute
    assert "Hele <em>strategien</em>" in h.content_html
    assert "<script" not in h.content_html and "alert" not in h.content_html
    assert 'href="https://www.oslo.kommune.no/klima/vedlegg"' in h.content_html
    assert h.language == "nb"  # from the channel
    # the PDF enclosure is collected (resolved), the image is not
    assert first.documents == ["https://www.oslo.kommune.no/files/strategi.pdf"]
    # no guid: the link is the identity; "email (Name)" gives the name
    assert second.guid == second.link == "https://www.oslo.kommune.no/klima/ombruk"
    assert second.hints.authors == ["Ola Nordmann"]
    assert second.hints.published == utc(2024, 3, 6, 8, 0)
    assert second.hints.content_html is None and second.hints.summary == "Kort omtale"
    # a PDF recognised by its address when the server calls it octet-stream
    assert second.documents == ["https://www.oslo.kommune.no/getfile.php/ombruk.PDF?v=2"]


RSS10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:content="http://purl.org/rss/1.0/modules/content/">
 <channel rdf:about="https://www.comune.prato.it/rss/ambiente.rdf">
  <title>Comune di Prato \xe2\x80\x93 Ambiente</title>
  <link>https://www.comune.prato.it/it/ambiente/</link>
  <description>Notizie su ambiente ed economia circolare</description>
  <dc:language>it-IT</dc:language>
  <items><rdf:Seq>
   <rdf:li rdf:resource="https://www.comune.prato.it/it/news/tessile-circolare"/>
  </rdf:Seq></items>
 </channel>
 <item rdf:about="https://www.comune.prato.it/it/news/tessile-circolare">
  <title>Il distretto tessile diventa circolare</title>
  <link>https://www.comune.prato.it/it/news/tessile-circolare</link>
  <description>Riciclo degli stracci: la citt\xc3\xa0 presenta il piano.</description>
  <content:encoded><![CDATA[<p>Il piano per il <strong>tessile</strong> circolare.</p>]]></content:encoded>
  <dc:date>2024-03-05T10:00:00+01:00</dc:date>
  <dc:creator>Comune di Prato</dc:creator>
  <dc:subject>rifiuti tessili</dc:subject>
 </item>
</rdf:RDF>"""


def test_rss_10_rdf():
    feed = parse_feed(RSS10, "https://www.comune.prato.it/rss/ambiente.rdf",
                      {"content-type": "application/rdf+xml"})
    [e] = feed.entries
    assert e.link == "https://www.comune.prato.it/it/news/tessile-circolare"
    assert e.guid == e.link  # RSS 1.0 items have no guid: the link is the identity
    h = e.hints
    assert h.summary == "Riciclo degli stracci: la città presenta il piano."
    assert "<strong>tessile</strong>" in h.content_html
    # dc:date is an ISO 8601 date with an offset
    assert (h.published or h.updated) == utc(2024, 3, 5, 9, 0)
    assert_utc(h.published or h.updated)
    assert h.authors == ["Comune di Prato"]
    assert h.categories == ["rifiuti tessili"]
    assert h.language == "it"


RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
 <title>C\xe2mara do Porto \xb7 Ambiente</title>
 <link>https://ambiente.cm-porto.pt/</link>
 <description>Not\xedcias</description>
 <language>pt-pt</language>
 <item>
  <title>Economia circular \xe9 o futuro da cidade</title>
  <link>https://ambiente.cm-porto.pt/noticias/economia-circular</link>
  <description>Resumo da not\xedcia</description>
 </item>
</channel>
</rss>"""

RSS092 = b"""<?xml version="1.0"?>
<rss version="0.92">
<channel>
 <title>Kaunas \xc5\xbeiedin\xc4\x97 ekonomika</title>
 <link>https://www.kaunas.lt/</link>
 <description>Naujienos</description>
 <language>lt</language>
 <item>
  <title>Daikt\xc5\xb3 main\xc5\xb3 punktai</title>
  <link>https://www.kaunas.lt/naujienos/mainai</link>
  <description>Baldai, knygos, drabu\xc5\xbeiai.</description>
  <enclosure url="https://www.kaunas.lt/files/planas.pdf" length="1000" type="application/pdf"/>
 </item>
</channel>
</rss>"""


@pytest.mark.parametrize("body,headers,fmt,title,entry_title,lang,docs", [
    (RSS091, {}, "rss091", "Câmara do Porto · Ambiente", "Economia circular é o futuro da cidade",
     "pt", []),
    (RSS092, {"content-type": "text/xml; charset=utf-8"}, "rss092", "Kaunas žiedinė ekonomika",
     "Daiktų mainų punktai", "lt", ["https://www.kaunas.lt/files/planas.pdf"]),
], ids=["rss091", "rss092"])
def test_rss_09x(body, headers, fmt, title, entry_title, lang, docs):
    feed = parse_feed(body, "https://example.eu/feed", headers)
    assert feed.format.startswith(fmt)  # feedparser says rss091n / rss091u for 0.91
    assert feed.title == title and feed.language == lang
    [e] = feed.entries
    assert e.hints.title == entry_title
    assert e.guid == e.link and e.link.startswith("https://")
    assert e.hints.language == lang
    assert e.documents == docs


ATOM10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl" xml:base="https://www.denhaag.nl/nl/">
 <title type="text">Den Haag \xe2\x80\x93 duurzaamheid</title>
 <link rel="alternate" type="text/html" href="in-de-stad/duurzaamheid/"/>
 <link rel="self" href="https://www.denhaag.nl/feeds/duurzaamheid.atom"/>
 <id>tag:denhaag.nl,2024:duurzaamheid</id>
 <updated>2024-03-05T12:00:00Z</updated>
 <entry>
  <title>Grondstoffentransitie: minder afval, meer grondstoffen</title>
  <link rel="alternate" type="text/html" href="artikelen/grondstoffentransitie.htm"/>
  <link rel="enclosure" type="application/pdf" length="99" href="/docs/grondstoffenplan.pdf"/>
  <link rel="related" href="bijlagen/uitvoeringsprogramma.pdf"/>
  <link rel="related" type="text/html" href="https://www.denhaag.nl/nl/afval/"/>
  <id>tag:denhaag.nl,2024:grondstoffentransitie</id>
  <published>2024-03-01T09:00:00+01:00</published>
  <updated>2024-03-05T11:00:00Z</updated>
  <author><name>Gemeente Den Haag</name><uri>https://www.denhaag.nl/</uri></author>
  <author><name>Jan Jansen</name></author>
  <category term="afval" label="Afval"/>
  <category term="hergebruik"/>
  <summary>Korte samenvatting van het programma.</summary>
  <content type="html">&lt;p&gt;Volledige tekst met &lt;a href="meer-lezen"&gt;meer&lt;/a&gt;.&lt;/p&gt;
   &lt;img src="x" onerror="alert(1)"&gt;</content>
 </entry>
 <entry xml:lang="en">
  <title>Circular procurement (English summary)</title>
  <link href="https://www.denhaag.nl/en/circular-procurement"/>
  <id>tag:denhaag.nl,2024:circular-procurement</id>
  <updated>2024-02-01T08:00:00+00:00</updated>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Buying <b>circular</b>.</p></div></content>
 </entry>
</feed>"""


def test_atom_10_with_xml_base():
    feed = parse_feed(ATOM10, "https://feeds.example.org/denhaag",
                      {"content-type": "application/atom+xml"})
    # relative links are resolved against xml:base, not the address the feed came from
    assert feed.link == "https://www.denhaag.nl/nl/in-de-stad/duurzaamheid/"
    first, second = feed.entries
    assert first.guid == "tag:denhaag.nl,2024:grondstoffentransitie"
    assert first.link == "https://www.denhaag.nl/nl/artikelen/grondstoffentransitie.htm"
    assert first.documents == ["https://www.denhaag.nl/docs/grondstoffenplan.pdf",
                               "https://www.denhaag.nl/nl/bijlagen/uitvoeringsprogramma.pdf"]
    h = first.hints
    assert h.published == utc(2024, 3, 1, 8, 0) and h.updated == utc(2024, 3, 5, 11, 0)
    assert_utc(h.published)
    assert_utc(h.updated)
    assert h.authors == ["Gemeente Den Haag", "Jan Jansen"]
    assert h.categories == ["afval", "hergebruik"]
    assert h.summary == "Korte samenvatting van het programma."
    assert 'href="https://www.denhaag.nl/nl/meer-lezen"' in h.content_html
    assert "onerror" not in h.content_html and "alert" not in h.content_html
    assert h.language == "nl"
    # xhtml content is kept as markup
    assert "<b>circular</b>" in second.hints.content_html
    assert second.hints.published is None and second.hints.updated == utc(2024, 2, 1, 8, 0)


def test_atom_entry_xml_lang_wins_over_the_feed_language():
    feed = parse_feed(ATOM10, "https://feeds.example.org/denhaag",
                      {"content-type": "application/atom+xml"})
    assert [e.hints.language for e in feed.entries] == ["nl", "en"]


ATOM03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="fr">
 <title>Bruxelles \xc3\xa9conomie circulaire</title>
 <link rel="alternate" type="text/html" href="https://www.bruxelles.be/economie-circulaire"/>
 <modified>2004-05-01T12:00:00Z</modified>
 <entry>
  <title>R\xc3\xa9emploi et r\xc3\xa9paration</title>
  <link rel="alternate" type="text/html" href="https://www.bruxelles.be/reemploi"/>
  <id>tag:bruxelles.be,2004:reemploi</id>
  <issued>2004-04-30T08:00:00+02:00</issued>
  <modified>2004-05-01T12:00:00Z</modified>
  <author><name>Ville de Bruxelles</name></author>
  <summary>R\xc3\xa9sum\xc3\xa9 court</summary>
  <content type="text/html" mode="escaped">&lt;p&gt;Le texte &lt;em&gt;complet&lt;/em&gt;&lt;/p&gt;</content>
 </entry>
</feed>"""


def test_atom_03():
    feed = parse_feed(ATOM03, "https://www.bruxelles.be/feed.atom", {})
    [e] = feed.entries
    assert e.guid == "tag:bruxelles.be,2004:reemploi"
    assert e.link == "https://www.bruxelles.be/reemploi"
    assert e.hints.title == "Réemploi et réparation"
    assert e.hints.published == utc(2004, 4, 30, 6, 0)  # <issued>
    assert e.hints.updated == utc(2004, 5, 1, 12, 0)  # <modified>
    assert e.hints.authors == ["Ville de Bruxelles"]
    assert e.hints.summary == "Résumé court"
    assert "<em>complet</em>" in e.hints.content_html


@pytest.mark.parametrize("body,url,headers,expected", [
    (RSS20, FEED_URL, RSS, ("rss20", "Oslo kommune – klima og miljø", "nb")),
    (RSS10, "https://www.comune.prato.it/rss/ambiente.rdf",
     {"content-type": "application/rdf+xml"}, ("rss10", "Comune di Prato – Ambiente", "it")),
    (ATOM10, "https://feeds.example.org/denhaag", {"content-type": "application/atom+xml"},
     ("atom10", "Den Haag – duurzaamheid", "nl")),
    (ATOM03, "https://www.bruxelles.be/feed.atom", {},
     ("atom03", "Bruxelles économie circulaire", "fr")),
], ids=["rss20", "rss10", "atom10", "atom03"])
def test_each_feed_format_is_recognised_with_its_title_and_language(body, url, headers, expected):
    feed = parse_feed(body, url, headers)
    assert (feed.format, feed.title, feed.language) == expected


JSON11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Kauno žiedinė ekonomika",
    "home_page_url": "https://www.kaunas.lt/",
    "feed_url": "https://www.kaunas.lt/feed.json",
    "language": "lt-LT",
    "items": [
        {"id": "kaunas-2024-17", "url": "/naujienos/mainu-punktai",
         "title": "Daiktų mainų punktai", "summary": "Trumpai",
         "content_html": "<p>Baldai, <b>knygos</b>, drabužiai.</p>",
         "date_published": "2024-03-05T10:00:00Z", "date_modified": "2024-03-06T12:30:00Z",
         "authors": [{"name": "Kauno miesto savivaldybė"}, {"url": "https://x.lt/"}],
         "tags": ["pakartotinis naudojimas", "atliekos"],
         "attachments": [
             {"url": "https://www.kaunas.lt/files/planas.pdf", "mime_type": "application/pdf"},
             {"url": "/files/priedas.PDF", "mime_type": "application/octet-stream"},
             {"url": "https://www.kaunas.lt/foto.jpg", "mime_type": "image/jpeg"}]},
        {"id": "kaunas-2024-18", "url": "https://www.kaunas.lt/en/news/repair-cafes",
         "title": "Repair cafés", "language": "en",
         "content_text": "Bring a <script>alert('broken')</script> toaster & fix it.",
         "date_published": "2024-03-07T09:15:00Z"},
    ],
}

JSON10 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Porto circular",
    "home_page_url": "https://ambiente.cm-porto.pt/",
    "items": [
        {"id": "https://ambiente.cm-porto.pt/noticias/1",
         "url": "https://ambiente.cm-porto.pt/noticias/1",
         "title": "Compostagem doméstica", "content_text": "Texto",
         "date_published": "2024-03-05T10:00:00Z",
         "author": {"name": "Câmara Municipal do Porto"}},
    ],
}


def test_json_feed_11():
    body = json.dumps(JSON11, ensure_ascii=False).encode("utf-8")
    feed = parse_feed(body, "https://www.kaunas.lt/feed.json",
                      {"content-type": "application/feed+json"})
    assert feed.format == "json11"
    assert feed.title == "Kauno žiedinė ekonomika" and feed.language == "lt"
    assert feed.link == "https://www.kaunas.lt/"
    first, second = feed.entries
    assert first.guid == "kaunas-2024-17"
    assert first.link == "https://www.kaunas.lt/naujienos/mainu-punktai"
    h = first.hints
    assert h.title == "Daiktų mainų punktai" and h.summary == "Trumpai"
    assert h.content_html == "<p>Baldai, <b>knygos</b>, drabužiai.</p>"
    assert h.published == utc(2024, 3, 5, 10, 0) and h.updated == utc(2024, 3, 6, 12, 30)
    assert_utc(h.published)
    assert h.authors == ["Kauno miesto savivaldybė"]
    assert h.categories == ["pakartotinis naudojimas", "atliekos"]
    assert h.language == "lt"
    assert first.documents == ["https://www.kaunas.lt/files/planas.pdf",
                               "https://www.kaunas.lt/files/priedas.PDF"]
    assert second.hints.language == "en"  # the item's own language wins


def test_json_feed_10_with_a_single_author_and_no_content_type_header():
    feed = parse_feed(json.dumps(JSON10).encode(), "https://ambiente.cm-porto.pt/feed.json", {})
    assert feed.format == "json1"
    [e] = feed.entries
    assert e.guid == e.link == "https://ambiente.cm-porto.pt/noticias/1"
    assert e.hints.authors == ["Câmara Municipal do Porto"]
    assert e.hints.title == "Compostagem doméstica"
    assert e.hints.content_html == "<p>Texto</p>"


def test_json_feed_content_text_is_escaped_into_content_html():
    feed = parse_feed(json.dumps(JSON11).encode(), "https://www.kaunas.lt/feed.json", {})
    html = feed.entries[1].hints.content_html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;broken&#x27;)&lt;/script&gt;" in html
    assert "toaster &amp; fix it." in html


def test_json_feed_dates_with_an_offset_come_out_in_utc():
    doc = {**JSON10, "items": [{**JSON10["items"][0],
                                "date_published": "2024-03-05T10:00:00+01:00"}]}
    [e] = parse_feed(json.dumps(doc).encode(), "https://e.org/feed.json", {}).entries
    assert e.hints.published == utc(2024, 3, 5, 9, 0)  # the instant is right already
    assert_utc(e.hints.published)


# -- encodings --------------------------------------------------------------------------------

def _rss(title: str, item: str, summary: str, decl: str | None) -> str:
    head = f'<?xml version="1.0" encoding="{decl}"?>\n' if decl else ""
    return (f'{head}<rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://www.oslo.kommune.no/</link><description>x</description>"
            f"<item><title>{item}</title><link>https://www.oslo.kommune.no/a</link>"
            f"<description>{summary}</description></item></channel></rss>")


NORSK = ("Byøkologi på Grünerløkka", "Ærlig ombruk – æøå ÆØÅ", "Små steg “frem”")


def _texts(feed: ParsedFeed) -> tuple[str, str, str]:
    [e] = feed.entries
    return feed.title, e.hints.title, e.hints.summary


def test_windows_1252_declared_in_the_xml_declaration():
    body = _rss(*NORSK, decl="windows-1252").encode("windows-1252")
    assert b"\xe6\xf8\xe5" in body and b"\x93" in body  # æøå and a curly quote, one byte each
    for headers in ({}, {"content-type": "application/rss+xml"}):
        assert _texts(parse_feed(body, FEED_URL, headers)) == NORSK




@pytest.mark.parametrize("headers", [
    {"content-type": "application/rss+xml"},
    pytest.param({}),
], ids=["with-content-type", "without-content-type"])
def test_utf8_with_a_byte_order_mark_and_no_declaration(headers):
    # summary markup with a character entity, as CMSs write it
    body = b"\xef\xbb\xbf" + _rss(NORSK[0], NORSK[1], "&lt;p&gt;Små steg &#8211; store&lt;/p&gt;",
                                  decl=None).encode("utf-8")
    title, item, summary = _texts(parse_feed(body, FEED_URL, headers))
    assert (title, item) == NORSK[:2]
    assert summary == "<p>Små steg – store</p>"


def test_utf8_without_declaration_or_content_type_is_read_as_utf8():
    body = _rss(NORSK[0], NORSK[1], "Små steg &#8211; store", decl=None).encode("utf-8")
    assert _texts(parse_feed(body, FEED_URL, {}))[2] == "Små steg – store"


@pytest.mark.parametrize("ctype", ["application/rss+xml; charset=ISO-8859-1",
                                   "text/xml; charset=iso-8859-1",
                                   'application/xml; charset="iso-8859-1"'])
def test_charset_only_in_the_http_header(ctype):
    text = ("Économie circulaire à Bruxelles", "Réemploi, façade, São João", "Müller & Søn")
    body = _rss(*(t.replace("&", "&amp;") for t in text), decl=None).encode("iso-8859-1")
    feed = parse_feed(body, FEED_URL, {"content-type": ctype})
    assert _texts(feed) == text
    assert feed.warning is None


LATIN1 = ("Économie circulaire", "Réemploi à Bruxelles", "Façade rénovée")


def test_http_charset_takes_precedence_over_the_xml_declaration():
    """feedparser follows RFC 3023 (its docs, "Character Encoding Detection"): for
    application/xml and application/*+xml the charset of the HTTP Content-Type wins over the
    encoding in the XML declaration; the declaration counts only when HTTP gives none."""
    body = _rss(*LATIN1, decl="utf-8").encode("iso-8859-1")  # the declaration is wrong
    with_header = parse_feed(body, FEED_URL,
                             {"content-type": "application/rss+xml; charset=ISO-8859-1"})
    assert _texts(with_header) == LATIN1
    assert with_header.warning is None  # decoded as the header says, nothing overridden
    # without the header the (wrong) declaration is tried first and fails; feedparser falls
    # back and says so
    alone = parse_feed(body, FEED_URL, {"content-type": "application/rss+xml"})
    assert _texts(alone) == LATIN1
    assert "declared as utf-8" in alone.warning


def test_http_charset_wins_even_when_it_is_wrong_and_feedparser_repairs_the_text():
    # a UTF-8 feed from a server that claims ISO-8859-1: decoded as the header says, the
    # text would read "Ã©"; feedparser undoes that common double encoding per field
    body = _rss(*LATIN1, decl="utf-8").encode("utf-8")
    feed = parse_feed(body, FEED_URL, {"content-type": "application/rss+xml; charset=ISO-8859-1"})
    assert _texts(feed) == LATIN1


def test_text_xml_without_charset_ignores_the_declaration_then_falls_back():
    # RFC 3023: text/xml without a charset is us-ascii, whatever the declaration says
    body = _rss("Café € “x”", "Économie", "Résumé", decl="windows-1252").encode("windows-1252")
    feed = parse_feed(body, FEED_URL, {"content-type": "text/xml"})
    assert _texts(feed) == ("Café € “x”", "Économie", "Résumé")
    assert "declared as us-ascii" in feed.warning


# -- entry identity ---------------------------------------------------------------------------

def _items(*items: str) -> bytes:
    return ('<rss version="2.0"><channel><title>T</title><link>https://e.org/</link>'
            + "".join(f"<item>{i}</item>" for i in items) + "</channel></rss>").encode()


def _guids(body: bytes, url: str = FEED_URL) -> list[str]:
    return [e.guid for e in parse_feed(body, url, RSS).entries]


def test_identity_is_the_guid_then_the_link_then_a_hash():
    body = _items("<title>A</title><guid>  urn:oslo:1  </guid><link>https://e.org/a</link>",
                  "<title>B</title><link>https://e.org/b</link>",
                  "<title>C</title><link>c-relative</link>",
                  "<title>D</title><pubDate>Tue, 05 Mar 2024 14:30:00 GMT</pubDate>")
    a, b, c, d = _guids(body)
    assert a == "urn:oslo:1"
    assert b == "https://e.org/b"
    assert c == "https://www.oslo.kommune.no/feeds/c-relative"
    assert re.fullmatch(r"sha1:[0-9a-f]{40}", d)


def test_hashed_identity_is_stable_and_depends_on_title_and_date():
    def one(title: str, date: str, summary: str = "S", url: str = FEED_URL) -> str:
        item = (f"<title>{title}</title><pubDate>{date}</pubDate>"
                f"<description>{summary}</description>")
        [g] = _guids(_items(item), url)
        return g

    date = "Tue, 05 Mar 2024 14:30:00 GMT"
    base = one("Ombruk", date)
    assert base.startswith("sha1:")
    assert one("Ombruk", date) == base  # the same entry next run
    assert one("Ombruk", "Tue, 05 Mar 2024 15:30:00 +0100") == base  # same instant
    assert one("Ombruk", date, summary="Edited summary") == base  # edits keep the identity
    assert one("Ombruk", date, url="https://mirror.example.org/feed.xml") == base
    assert one("Ombruk og reparasjon", date) != base
    assert one("Ombruk", "Wed, 06 Mar 2024 14:30:00 GMT") != base


def test_json_feed_identity_fallbacks():
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": 42, "url": "https://e.org/42", "title": "Numeric id"},
        {"id": "", "url": "/relative", "title": "Empty id"},
        {"title": "Neither", "date_published": "2024-03-05T10:00:00Z"},
        {"title": "Neither", "date_published": "2024-03-05T10:00:00Z"},
        {"title": "Neither, other", "date_published": "2024-03-05T10:00:00Z"},
    ]}
    g = _guids(json.dumps(doc).encode())
    assert g[0] == "42"
    assert g[1] == "https://www.oslo.kommune.no/relative"
    assert g[2].startswith("sha1:") and g[2] == g[3] and g[4] != g[2]


def test_description_only_items_keep_distinct_identities():
    # RSS 0.92/2.0 allow an item that is only a description
    body = _items("<description>Første nyhet om ombruk</description>",
                  "<description>Andre nyhet om reparasjon</description>")
    first, second = _guids(body)
    assert first != second
    assert _guids(body) == [first, second]


# -- bad input --------------------------------------------------------------------------------

HTML_PAGES = [
    b"<!DOCTYPE html><html lang='en'><head><title>Circular</title></head>"
    b"<body><h1>News</h1><p>Not a feed.</p></body></html>",
    b"\n\n  <HTML><HEAD><TITLE>Old page</TITLE></HEAD><BODY>Hi</BODY></HTML>",
    b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 '
    b'Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns='
    b'"http://www.w3.org/1999/xhtml"><head><title>Home</title></head><body><p>x</p></body></html>',
]


@pytest.mark.parametrize("body", HTML_PAGES, ids=["html5", "uppercase", "xhtml"])
@pytest.mark.parametrize("ctype", ["text/html; charset=utf-8", "application/rss+xml", None])
def test_an_html_page_is_not_a_feed_and_says_html(body, ctype):
    with pytest.raises(NotAFeed, match="HTML"):
        parse_feed(body, FEED_URL, {"content-type": ctype} if ctype else {})


@pytest.mark.parametrize("body,why", [
    (b"", "empty"),
    (b"   \r\n\t  \n", "empty"),
    (b'{"title": "x", "items": []}', "JSON Feed version"),
    (b"[1, 2, 3]", "JSON Feed version"),
    (b'{"version": "1.1", "items": []}', "JSON Feed version"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "items"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "items"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": ["\xff\xfe"]}', "not valid JSON"),
    (b'<?xml version="1.0"?><note><to>Tove</to></note>', "not RSS, Atom or JSON Feed"),
    (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
     b"<url><loc>https://e.org/</loc></url></urlset>", "not RSS, Atom or JSON Feed"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "not RSS, Atom or JSON Feed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not RSS, Atom or JSON Feed"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xb3\xb1\xaf\xc8\xcd", "not RSS, Atom or JSON Feed"),
], ids=["empty", "whitespace", "json-no-version", "json-list", "json-version-not-url",
        "json-feed-no-items", "json-feed-items-not-list", "json-truncated", "json-not-utf8",
        "other-xml", "a-sitemap", "pdf", "png", "gzip"])
def test_what_is_not_a_feed_raises_not_a_feed_saying_why(body, why):
    with pytest.raises(NotAFeed, match=re.escape(why)):
        parse_feed(body, FEED_URL, {})


def test_a_feed_without_entries_is_a_feed():
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>',
                      FEED_URL, RSS)
    assert feed.format == "rss20" and feed.title == "Quiet" and feed.entries == []


def _parse_or_not_a_feed(body: bytes, url: str, headers: dict | None = None):
    """The parser's contract: a ParsedFeed or NotAFeed, never another exception."""
    try:
        return parse_feed(body, url, headers or {})
    except NotAFeed:
        return None


def _closed_entries(body: bytes, cut: int) -> int:
    return sum(1 for m in re.finditer(rb"</(?:item|entry)>", body) if m.end() <= cut)


@pytest.mark.parametrize("body", [RSS20, RSS10, ATOM10, RSS092], ids=["rss20", "rss10", "atom10",
                                                                       "rss092"])
def test_truncated_xml_keeps_the_entries_before_the_break_or_is_not_a_feed(body):
    full = [e.guid for e in parse_feed(body, FEED_URL, {}).entries]
    for cut in range(1, len(body), 11):
        feed = _parse_or_not_a_feed(body[:cut], FEED_URL)
        if feed is None:
            continue
        got = {e.guid for e in feed.entries}
        assert set(full[:_closed_entries(body, cut)]) <= got, cut


def test_binary_garbage_is_not_a_feed_and_never_crashes():
    rng = random.Random(20261124)
    starts = [b"", b"<", b"<?xml version='1.0'?>", b"<rss version='2.0'>", b"{", b"[",
              b"\xef\xbb\xbf"]
    for i in range(300):
        body = starts[i % len(starts)] + rng.randbytes(rng.randrange(1, 600))
        feed = _parse_or_not_a_feed(body, FEED_URL)
        assert feed is None or isinstance(feed, ParsedFeed)


def test_wrong_types_inside_a_json_feed_never_crash_the_parser_on_valid_documents():
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [
        "not an object", None, {"id": {"nested": 1}, "tags": "one-string", "authors": "x",
                                "author": "y"}]}
    feed = parse_feed(json.dumps(doc).encode(), FEED_URL, {})
    assert len(feed.entries) == 1


JSON_WRONG_TYPES = [
    ("title-number", {"title": 2024}),
    ("date-number", {"date_published": 1709632800}),
    ("attachments-number", {"attachments": 3}),
    ("language-number", {"language": 5}),
    ("summary-number", {"summary": 5}),
]


@pytest.mark.parametrize("extra", [c[1] for c in JSON_WRONG_TYPES],
                         ids=[c[0] for c in JSON_WRONG_TYPES])
def test_wrongly_typed_json_feed_fields_are_ignored_not_fatal(extra):
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "items": [{"id": "a", "url": "https://e.org/a", **extra}]}
    feed = _parse_or_not_a_feed(json.dumps(doc).encode(), FEED_URL)
    assert feed is not None
    h = feed.entries[0].hints
    for value in (h.title, h.summary, h.content_html, h.language):
        assert value is None or isinstance(value, str)


def test_json_feed_with_a_byte_order_mark_and_no_json_content_type():
    body = b"\xef\xbb\xbf" + json.dumps(JSON10).encode()
    feed = parse_feed(body, "https://e.org/feed.json", {"content-type": "text/plain"})
    assert feed.format == "json1" and len(feed.entries) == 1


# -- real-world corpora -----------------------------------------------------------------------

CORPORA = corpora_dir()
needs_corpora = pytest.mark.skipif(CORPORA is None or not (CORPORA / "feedparser-tests").is_dir(),
                                   reason="real-world corpora not found (set CCP_CORPORA)")


def _headers_from_index(line: str | None) -> dict[str, str]:
    if not line:
        return {}
    name, _, value = line.partition(":")
    return {name.strip().lower(): value.strip()}


def _check_entries(feed: ParsedFeed, where: str, problems: list) -> None:
    for e in feed.entries:
        if not isinstance(e.guid, str) or not e.guid.strip():
            problems.append((where, "empty identity"))
        for d in (e.hints.published, e.hints.updated):
            if d is not None and d.utcoffset() != timedelta(0):
                problems.append((where, f"date not in UTC: {d!r}"))
        for u in [e.link, *e.documents]:
            if u and not urlsplit(u).scheme:
                problems.append((where, f"relative URL {u!r}"))


@pytest.mark.corpora
@needs_corpora
def test_feedparser_corpus_parses_or_is_not_a_feed_and_entries_come_out():
    root = CORPORA / "feedparser-tests"
    index = [json.loads(line) for line in (root / "INDEX.jsonl").read_text("utf-8").splitlines()]
    assert len(index) > 2000
    started = time.perf_counter()
    crashed, lost, problems, parsed = [], [], [], 0
    for row in index:
        body = (root / row["file"]).read_bytes()
        headers = _headers_from_index(row["header"])
        url = f"http://feeds.example.org/{row['file']}"
        try:
            feed = parse_feed(body, url, headers)
        except NotAFeed:
            feed = None
        except Exception as exc:  # noqa: BLE001 - the assertion is that this never happens
            crashed.append((row["file"], repr(exc)))
            continue
        if feed is not None:
            parsed += 1
            _check_entries(feed, row["file"], problems)
        if row["group"] == "wellformed":
            # feedparser itself finds these entries: none may be lost on the way
            ref = feedparser.parse(io.BytesIO(body),
                                   response_headers={"content-location": url, **headers})
            if ref.entries and (feed is None or len(feed.entries) != len(ref.entries)):
                lost.append((row["file"], len(ref.entries), feed and len(feed.entries)))
    assert not crashed, crashed[:10]
    assert not lost, lost[:10]
    assert not problems, problems[:10]
    assert parsed > 0.95 * len(index)
    print(f"feedparser corpus: {len(index)} files in {time.perf_counter() - started:.1f} s")


def _node_feeds() -> list[Path]:
    root = CORPORA / "node-feedparser-feeds"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in ("LICENSE",
                                                                                "SOURCE.md"))


@pytest.mark.corpora
@needs_corpora
def test_node_feedparser_corpus_parses_or_is_not_a_feed():
    files = _node_feeds()
    assert len(files) >= 30
    crashed, problems, outcome = [], [], {}
    for p in files:
        try:
            feed = parse_feed(p.read_bytes(), f"http://feeds.example.org/{p.name}", {})
        except NotAFeed as exc:
            outcome[p.name] = str(exc)
            continue
        except Exception as exc:  # noqa: BLE001
            crashed.append((p.name, repr(exc)))
            continue
        outcome[p.name] = len(feed.entries)
        _check_entries(feed, p.name, problems)
    assert not crashed, crashed
    assert not problems, problems
    # captures of real sites come out with their entries
    for name, n in [("rss2sample.xml", 4), ("intertwingly.atom", 20), ("tpm.atom", 20),
                    ("wapowellness.xml", 29), ("iconv.xml", 10), ("ongoing.atom", 20)]:
        assert outcome[name] == n, (name, outcome[name])
    # malformed XML still gives what can be read
    assert isinstance(outcome["saxerror.xml"], int) and outcome["saxerror.xml"] > 0
    # an HTML page served where a feed was expected
    assert "HTML" in outcome["notafeed.html"]
    # windows-1251 declared in the document
    iconv = parse_feed((CORPORA / "node-feedparser-feeds" / "iconv.xml").read_bytes(),
                       "http://feeds.example.org/iconv.xml", {})
    assert re.search("[а-яА-Я]", iconv.title), iconv.title


@pytest.mark.corpora
@needs_corpora
def test_truncated_real_feeds_keep_complete_entries_or_are_not_feeds():
    for p in _node_feeds():
        body = p.read_bytes()
        full = _parse_or_not_a_feed(body, f"http://feeds.example.org/{p.name}")
        if full is None:
            continue
        guids = [e.guid for e in full.entries]
        for fraction in (0.2, 0.5, 0.9):
            cut = int(len(body) * fraction)
            feed = _parse_or_not_a_feed(body[:cut], f"http://feeds.example.org/{p.name}")
            if feed is not None:
                got = {e.guid for e in feed.entries}
                assert set(guids[:_closed_entries(body, cut)]) <= got, (p.name, fraction)
