"""Input the harvester must not trust: links that are not web links, responses cut short,
redirect loops.

* :func:`web_link` tells an http(s) link from anything else a listing may carry
  (``javascript:``, ``mailto:``, ``tel:``, ``file:``, ``ftp:``, ``data:``, ``http://[bad``).
* :func:`gunzip_checked` decompresses a gzip body and says whether it was complete; Scrapy's
  own ``gunzip`` returns whatever it could read of a truncated stream without a word.
* :class:`IntegrityMiddleware` (a downloader middleware) stops a redirect loop at its first
  repeat, naming the chain, and marks a ``Content-Encoding: gzip`` response whose compressed
  stream ends early (``request.meta["ccp_truncated"]`` holds the reason) before Scrapy's
  ``HttpCompressionMiddleware`` quietly decodes what it can.
"""

from __future__ import annotations

import zlib

from scrapy.exceptions import IgnoreRequest

from indexer.urls import canonicalize_url, is_web_url

NOT_HTTP = "not an http(s) link"
_CHUNK = 256 * 1024
# just above HttpCompressionMiddleware (590): responses reach this one before it decodes them
MIDDLEWARE_ORDER = 595


class RedirectLoop(IgnoreRequest):
    """A redirect leads back to a URL already in its chain."""

    def __init__(self, chain: list[str]):
        self.chain = chain
        super().__init__("redirect loop: " + " -> ".join(chain))


def web_link(link: str | None, base: str | None = None) -> tuple[str | None, str | None]:
    """``(canonical URL, None)`` for an http(s) link, else ``(None, why)``.

    Never raises: whatever a listing carries, the answer is a URL to request or a reason to
    skip it.
    """
    if not link or not link.strip():
        return None, "empty link"
    try:
        url = canonicalize_url(link, base=base)
    except Exception as exc:  # noqa: BLE001 - a link is data, never a crash
        return None, f"{NOT_HTTP} ({exc.__class__.__name__}: {exc})"
    if not is_web_url(url):
        return None, NOT_HTTP
    return url, None


class _TooLarge(ValueError):
    pass


def _gunzip(data: bytes, max_size: int, keep: bool) -> tuple[list[bytes], str | None]:
    """Inflate every gzip member of ``data``: (the chunks if ``keep``, what was wrong)."""
    out: list[bytes] = []
    total, rest = 0, data
    while rest:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while True:
                chunk = d.decompress(pending, _CHUNK)
                total += len(chunk)
                if max_size and total > max_size:
                    raise _TooLarge(f"more than {max_size} bytes once decompressed")
                if keep:
                    out.append(chunk)
                pending = d.unconsumed_tail
                if d.eof or (not chunk and not pending):
                    break
        except zlib.error as exc:
            return out, f"the gzip data is corrupt ({exc})"
        if not d.eof:
            return out, f"the gzip data is cut short after {total} bytes of content"
        rest = d.unused_data.lstrip(b"\0")
    return out, None


def gzip_problem(data: bytes, max_size: int = 0) -> str | None:
    """None when ``data`` is one or more complete gzip members, else what is wrong with it.

    Keeps nothing; past ``max_size`` decompressed bytes it stops and says nothing (the size
    cap reports that on its own).
    """
    try:
        return _gunzip(data, max_size, keep=False)[1]
    except _TooLarge:
        return None


def gunzip_checked(data: bytes, max_size: int = 0) -> tuple[bytes, str | None]:
    """Decompressed ``data`` (as much as could be read) and what was wrong, if anything.

    Raises ``ValueError`` past ``max_size`` decompressed bytes.
    """
    chunks, problem = _gunzip(data, max_size, keep=True)
    return b"".join(chunks), problem


class IntegrityMiddleware:
    """Redirect loops end at their first repeat; truncated gzip encodings are noticed."""

    def __init__(self, max_size: int = 0):
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_request(self, request, spider=None):
        chain = request.meta.get("redirect_urls")
        if chain and request.url in chain:
            raise RedirectLoop([*chain, request.url])
        return None

    def process_response(self, request, response, spider=None):
        request.meta.pop("ccp_truncated", None)
        encodings = [e.strip().lower() for v in response.headers.getlist(b"Content-Encoding")
                     for e in v.decode("latin-1").split(",")]
        if encodings and encodings[-1] in ("gzip", "x-gzip") and response.body:
            problem = gzip_problem(response.body, self.max_size)
            if problem:
                request.meta["ccp_truncated"] = f"the gzip-encoded response: {problem}"
        return response
