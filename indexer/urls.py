"""Canonical URLs: one spelling per document, so identity and dedupe can rely on it.

:func:`canonicalize_url` makes a URL absolute and gives it one spelling: scheme and host in
lower case, the host in IDNA (punycode), default ports dropped, percent-encoding normalised
(unreserved characters decoded, the rest upper-case hex), dot-segments resolved, the fragment
dropped, tracking parameters removed and the remaining query parameters sorted.

It does *not* lower-case paths or strip trailing slashes: servers may treat ``/Report`` and
``/report``, or ``/news`` and ``/news/``, as different documents.

The percent-encoding and query-sorting rules are w3lib's (the same canonical form Scrapy uses
for request fingerprints); this module adds what w3lib leaves alone (base URLs, default ports,
tracking parameters, trailing dots in host names).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonicalize_url",
    "is_probably_document",
    "is_tracking_param",
    "is_web_url",
    "same_site",
]

# Query parameters that identify a campaign, a click or a mail recipient, never the document.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # Google / Microsoft / Meta / other ad click ids
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "srsltid", "_ga", "_gl",
        # Mailchimp, HubSpot, Marketo, Vero, Olytics, Wicked Reports
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "wickedid",
        # Matomo / Piwik campaign parameters (common on European public-sector sites)
        "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content",
        "pk_cid", "piwik_campaign", "piwik_kwd", "piwik_keyword",
        # AT Internet (common on French public sites), Twitter/X share referrers
        "at_medium", "at_campaign", "at_campaign_type", "at_creation", "at_emailtype",
        "at_send_date", "at_link", "at_recipient_id", "at_recipient_list",
        "ref_src", "ref_url",
    }
)
# Any parameter starting with one of these is tracking (utm_source, mtm_campaign, ...).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "mtm_", "matomo_")

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}

# Files that are documents rather than web pages.
DOCUMENT_EXTENSIONS: frozenset[str] = frozenset(
    {"pdf", "doc", "docx", "odt", "rtf", "ppt", "pptx", "odp", "xls", "xlsx", "ods", "epub"}
)

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_CONTROL_RE = re.compile(r"[\t\n\r]")


def is_tracking_param(name: str) -> bool:
    """True for a query parameter name that only tracks a visit (``utm_source``, ``fbclid``...)."""
    key = unquote(name.replace("+", " ")).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    if not query:
        return ""
    kept = [part for part in query.split("&") if part and not is_tracking_param(part.split("=", 1)[0])]
    return "&".join(kept)


def _netloc(scheme: str, netloc: str) -> str:
    """Host without a trailing dot and without the scheme's default port."""
    userinfo, sep, hostport = netloc.rpartition("@")
    prefix = userinfo + sep
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.rstrip(".").lower()
    if port == "" or (port.isdigit() and int(port) == DEFAULT_PORTS.get(scheme)):
        return prefix + host
    return f"{prefix}{host}:{port}"


def canonicalize_url(url: str, base: str | None = None) -> str:
    """The canonical spelling of ``url`` (resolved against ``base`` when it is relative).

    Never raises: what cannot be parsed as an absolute http(s) URL (a relative URL without a
    base, a bad port, ``mailto:``) comes back with light clean-up only (whitespace, scheme
    case, fragment). Use :func:`is_web_url` to check the result when that matters.
    """
    url = _CONTROL_RE.sub("", (url or "").strip())
    if base:
        try:
            url = urljoin(_CONTROL_RE.sub("", base.strip()), url)
        except ValueError:
            pass
    try:
        scheme, netloc, path, query, _fragment = urlsplit(url)
    except ValueError:
        return url.split("#", 1)[0]
    scheme = scheme.lower()
    if not netloc or not _SCHEME_RE.match(url):
        # relative references, mailto:, tel:, data:: nothing to normalise beyond the fragment
        return urlunsplit((scheme, netloc, path, query, ""))
    query = _drop_tracking(query)
    cleaned = urlunsplit((scheme, netloc, path or "/", query, ""))
    try:
        canon = _w3lib_canonicalize(cleaned, keep_blank_values=True)
        scheme, netloc, path, query, _ = urlsplit(canon)
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        return cleaned
    return urlunsplit((scheme, _netloc(scheme, netloc), path or "/", query, ""))


def is_web_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host and a valid port."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in parts.hostname


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on the same host (ignoring a leading ``www.``)."""
    ha = (urlsplit(a).hostname or "").rstrip(".").lower()
    hb = (urlsplit(b).hostname or "").rstrip(".").lower()
    ha = ha[4:] if ha.startswith("www.") else ha
    hb = hb[4:] if hb.startswith("www.") else hb
    return bool(ha) and ha == hb


def _extension(path: str) -> str:
    last = unquote(path).rstrip("/").rsplit("/", 1)[-1]
    if "." not in last:
        return ""
    return last.rsplit(".", 1)[-1].lower()


def is_probably_document(url: str) -> bool:
    """True when the URL most likely points at a document file (PDF, office file, e-book).

    Looks at the path's extension, and at query values that name a file
    (``/download?file=plan.pdf``), the way download scripts do.
    """
    parts = urlsplit((url or "").strip())
    if _extension(parts.path) in DOCUMENT_EXTENSIONS:
        return True
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if value and _extension(value.split("#", 1)[0]) in DOCUMENT_EXTENSIONS:
            return True
    return False
