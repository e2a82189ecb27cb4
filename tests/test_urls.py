"""Canonical URLs: one spelling per document (indexer.urls)."""

from __future__ import annotations

import json

import pytest

from indexer.urls import (
    canonicalize_url,
    is_probably_document,
    is_tracking_param,
    is_web_url,
    same_site,
)
from tests.conftest import corpora_dir

CASES = [
    # scheme and host case, default ports, empty port
    ("HTTP://WWW.Example.COM/Path", "http://www.example.com/Path"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:/a", "http://example.com/a"),
    ("http://example.com./a", "http://example.com/a"),
    # no path -> "/", fragments dropped, empty query dropped
    ("http://example.com", "http://example.com/"),
    ("http://example.com/a#section-2", "http://example.com/a"),
    ("http://example.com/a?", "http://example.com/a"),
    ("http://example.com/a?#top", "http://example.com/a"),
    # tracking parameters removed, others kept and sorted
    ("https://example.com/p?utm_source=nl&utm_medium=email&id=7", "https://example.com/p?id=7"),
    ("https://example.com/p?b=2&fbclid=XYZ&a=1", "https://example.com/p?a=1&b=2"),
    ("https://example.com/p?gclid=1&dclid=2&msclkid=3&yclid=4", "https://example.com/p"),
    ("https://example.com/p?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&igshid=5&ref_src=twsrc", "https://example.com/p"),
    ("https://example.com/p?UTM_Campaign=x&page=2", "https://example.com/p?page=2"),
    ("https://example.com/p?mtm_campaign=x&pk_kwd=y&lang=nl", "https://example.com/p?lang=nl"),
    ("https://example.com/p?ref=home", "https://example.com/p?ref=home"),  # not a tracking key
    # percent-encoding normalised, unreserved characters decoded, spaces encoded
    ("http://example.com/a%7eb/%7E", "http://example.com/a~b/~"),
    ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
    ("http://example.com/café?q=déchets", "http://example.com/caf%C3%A9?q=d%C3%A9chets"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    # dot-segments resolved
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/a/b/../../../c", "http://example.com/c"),
    # paths keep their case and trailing slashes
    ("http://example.com/News/", "http://example.com/News/"),
    ("http://example.com/news", "http://example.com/news"),
    ("http://example.com//double//slash/", "http://example.com//double//slash/"),
    # IDNA host
    ("https://bücher.de/Bücher", "https://xn--bcher-kva.de/B%C3%BCcher"),
    ("https://MÜNCHEN.de/", "https://xn--mnchen-3ya.de/"),
    # user info, IPv6
    ("http://user:pw@Example.com:8080/x", "http://user:pw@example.com:8080/x"),
    ("http://[::1]:80/x", "http://[::1]/x"),
    # whitespace and control characters around and inside
    ("  https://example.com/a\n ", "https://example.com/a"),
    ("https://exa\tmple.com/a", "https://example.com/a"),
]


@pytest.mark.parametrize("url, expected", CASES)
def test_canonicalize(url, expected):
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize("url", [c[1] for c in CASES])
def test_canonical_form_is_stable(url):
    assert canonicalize_url(canonicalize_url(url)) == canonicalize_url(url)


@pytest.mark.parametrize(
    "href, base, expected",
    [
        ("../img/plan.pdf?utm_source=x", "https://city.eu/news/2025/item/", "https://city.eu/news/2025/img/plan.pdf"),
        ("/en/strategy#top", "https://City.eu:443/nl/x", "https://city.eu/en/strategy"),
        ("?page=2", "https://city.eu/list?page=1", "https://city.eu/list?page=2"),
        ("//cdn.city.eu/doc.pdf", "https://city.eu/", "https://cdn.city.eu/doc.pdf"),
        ("https://other.eu/x", "https://city.eu/", "https://other.eu/x"),
    ],
)
def test_relative_urls_resolve_against_base(href, base, expected):
    assert canonicalize_url(href, base=base) == expected


def test_same_document_spelled_differently_gets_one_url():
    spellings = [
        "https://www.city.eu/en/circular-strategy?utm_source=newsletter#intro",
        "HTTPS://WWW.CITY.EU:443/en/./circular-strategy",
        "https://www.city.eu/en/circular-strategy?fbclid=abc&utm_medium=social",
        "https://www.city.eu/en/x/../circular-strategy?",
    ]
    assert len({canonicalize_url(u) for u in spellings}) == 1


@pytest.mark.parametrize(
    "url",
    ["a#frag", "?b=1", "mailto:info@city.eu", "http://example.com:abc/", "http://[::1/", "http://", ""],
)
def test_never_raises_and_flags_non_web_urls(url):
    out = canonicalize_url(url)
    assert isinstance(out, str)
    assert not is_web_url(out)
    assert "#" not in out


def test_is_web_url():
    assert is_web_url("https://city.eu/")
    assert not is_web_url("ftp://city.eu/")
    assert not is_web_url("https://city.eu:99999/")
    assert not is_web_url(None)


def test_tracking_params():
    for name in ("utm_source", "UTM_TERM", "fbclid", "gclid", "_hsenc", "mc_eid", "igshid", "yclid", "ref_src"):
        assert is_tracking_param(name), name
    for name in ("id", "page", "q", "lang", "ref", "utm"):
        assert not is_tracking_param(name), name


def test_same_site():
    assert same_site("https://www.city.eu/a", "http://city.eu/b")
    assert same_site("https://City.EU/a", "https://city.eu./b")
    assert not same_site("https://city.eu/a", "https://other.eu/a")
    assert not same_site("https://city.eu/a", "https://sub.city.eu/a")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://city.eu/docs/Strategy_2030.PDF", True),
        ("https://city.eu/docs/plan.docx", True),
        ("https://city.eu/files/report%20final.pdf", True),
        ("https://city.eu/download.php?file=roadmap.pdf", True),
        ("https://city.eu/news/circular-strategy", False),
        ("https://city.eu/news/pdf-guide/", False),
        ("https://city.eu/index.html", False),
        ("https://city.eu/", False),
    ],
)
def test_is_probably_document(url, expected):
    assert is_probably_document(url) is expected


# -- w3lib's canonicalisation cases (shared corpus) ---------------------------------------------------
# Only the cases with default options (ours has no options). One differs on purpose: a bare
# relative query reference comes back as given; w3lib invents a leading "/".
_W3LIB_DIFFERENT = {"?b=1"}


def _w3lib_cases():
    root = corpora_dir()
    path = root / "w3lib-url-cases" / "url_cases.json" if root else None
    if path is None or not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for case in data["assert_cases"]:
        if case["function"] != "canonicalize_url" or case["kwargs"]:
            continue
        (arg,) = case["args"]
        if not isinstance(arg, str) or arg in _W3LIB_DIFFERENT:
            continue  # bytes input (we take str) or a deliberate difference
        out.append((arg, case["expected"]))
    return out


W3LIB = _w3lib_cases()


@pytest.mark.corpora
@pytest.mark.skipif(not W3LIB, reason="shared corpora (w3lib-url-cases) not available")
def test_w3lib_canonicalisation_cases():
    assert len(W3LIB) >= 50
    wrong = [(url, canonicalize_url(url), want) for url, want in W3LIB if canonicalize_url(url) != want]
    assert not wrong, wrong
