"""Errors from Elasticsearch, in words an operator can act on; index names; redaction."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError

from .constants import INDEX_NAME_BAD


def error_text(e: Exception) -> str:
    if isinstance(e, ApiError):
        info = e.info if isinstance(e.info, dict) else {}
        err = info.get("error") if isinstance(info.get("error"), dict) else {}
        kind = err.get("type") or e.message
        reason = err.get("reason") or ""
        return f"HTTP {e.status_code} {kind}{': ' + str(reason) if reason else ''}"
    return str(e) or type(e).__name__


def is_version_mismatch(e: ApiError) -> bool:
    return "media_type_header_exception" in str(e) or "compatible-with" in str(e.info)


def is_too_many_clauses(e: ApiError) -> bool:
    text = str(e.info) + str(e)
    return "too_many" in text or "maxClauseCount" in text


def redact(url: str) -> str:
    """A URL without its user info (credentials never go into messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def validate_index_name(name: str) -> str:
    """``name`` when it is a valid Elasticsearch index/alias name (lower case, no separators)."""
    if (
        not name
        or name in (".", "..")
        or name[0] in "-_+."
        or INDEX_NAME_BAD.search(name)
        or len(name.encode("utf-8")) > 200
    ):
        raise ValueError(
            f"invalid Elasticsearch index name {name!r}: use lower-case letters, digits, '-' "
            "and '_', not starting with '-', '_', '+' or '.'"
        )
    return name
