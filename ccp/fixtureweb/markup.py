"""Small helpers for writing the fixture sites' HTML and XML."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .specs import SiteSpec

import html
from datetime import datetime


def esc(text: str) -> str:
    """Escape for text and double-quoted attributes (apostrophes stay as they are)."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def with_query(path: str, query: str) -> str:
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + query


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def http_type(spec: SiteSpec, base: str) -> str:
    # Oslo's pages declare their charset only in the document; the others in the header too.
    if spec.charset.lower() == "utf-8":
        return f"{base}; charset=utf-8"
    return base


def encode(spec: SiteSpec, text: str) -> bytes:
    return text.encode(spec.charset, "xmlcharrefreplace")
