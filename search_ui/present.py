"""Turn search results and resources into what the pages, the JSON API and the feed show.

Everything harvested is untrusted: titles, summaries and URLs come from other people's web
pages. Here we only *shape* the data; escaping is left to Jinja's autoescape (HTML) and to the
JSON/XML serialisers. The one piece of markup we create is the snippet, built by
:meth:`indexer.query.Snippet.to_html` (escaped text + ``<mark>``). URLs become links only
through :func:`safe_href`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from config.models import COUNTRIES, LANGUAGES
from indexer.query import FACETS, FacetValue, Hit, SearchResults
from indexer.resource import RESOURCE_TYPES

from .i18n import LOCALES, language_name, translations, ui_language, user_languages
from .state import SearchState

FACET_HEADINGS: dict[str, Any] = {
    "language": lazy_gettext("Language"),
    "type": lazy_gettext("Type"),
    "theme": lazy_gettext("Theme"),
    "country": lazy_gettext("Country"),
    "city": lazy_gettext("City"),
    "source": lazy_gettext("Source"),
    "year": lazy_gettext("Year"),
}
assert tuple(FACET_HEADINGS) == FACETS

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_href(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL that is safe in ``href``, else ``None``.

    Harvested pages can carry ``javascript:``, ``data:`` or obfuscated schemes
    (``java\\tscript:``, leading control characters); none of them may become a link.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 4096 or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


@lru_cache(maxsize=1)
def theme_labels() -> dict[str, str]:
    """Theme key → label from the taxonomy in ``config`` (loaded once per process).

    Empty when the taxonomy cannot be loaded: labels then fall back to the title-cased key,
    and the search page keeps working.
    """
    try:
        from config.taxonomy import default_taxonomy

        return {key: spec.label for key, spec in default_taxonomy().themes.items()}
    except Exception as exc:  # a missing or broken taxonomy must not take the search page down
        log.warning("theme labels unavailable, showing theme keys: %s", exc)
        return {}


def concept_text(kind: str, key: str, what: str = "labels", lang: str | None = None
                 ) -> str | None:
    """A type's or theme's label (or one-line description) in the interface language (or
    ``lang``), from the taxonomy's per-language ``labels``/``descriptions``; None when the
    taxonomy has none."""
    return _concept_text(kind, key, what, lang or ui_language())


@lru_cache(maxsize=4096)
def _concept_text(kind: str, key: str, what: str, lang: str) -> str | None:
    try:
        from config.taxonomy import taxonomy_descriptions, taxonomy_labels
    except ImportError:  # a taxonomy without per-language labels: English keys and labels
        return None
    try:
        texts = (taxonomy_labels if what == "labels" else taxonomy_descriptions)(kind, key)
    except Exception:  # an unknown key or a broken taxonomy must not take a page down
        return None
    return texts.get(lang) or texts.get("en")


def country_name(code: str, lang: str | None = None) -> str:
    """A country's name in the interface language (or ``lang``; Babel's CLDR names), else in
    English."""
    return _country_name(code, lang or ui_language())


@lru_cache(maxsize=4096)
def _country_name(code: str, lang: str) -> str:
    if lang == "en":  # the portal's own English names ("Bosnia and Herzegovina")
        return COUNTRIES.get(code, code)
    return Locale.parse(LOCALES.get(lang, "en")).territories.get(code) or COUNTRIES.get(code, code)


def _title_case(key: str) -> str:
    return key.replace("-", " ").replace("_", " ").strip().title() or key


@dataclass
class Labels:
    """Human labels for facet values: endonyms for languages, names for sources…, in the
    interface language (``lang``: the request's unless given)."""

    source_names: Mapping[str, str]
    themes: Mapping[str, str]
    lang: str | None = None

    def __call__(self, facet: str, value: str | None) -> str:
        if value is None:
            return ""
        if facet == "language":
            return LANGUAGES.get(value, value)
        if facet == "source":
            return self.source_names.get(value, value)
        if self.lang is None:
            self.lang = ui_language()
        if facet == "type":
            return (concept_text("type", value, lang=self.lang)
                    or RESOURCE_TYPES.get(value, _title_case(value)))
        if facet == "theme":
            return (concept_text("theme", value, lang=self.lang) or self.themes.get(value)
                    or _title_case(value))
        if facet == "country":
            return country_name(value, self.lang)
        return str(value)


def display_date(iso: Any, lang: str | None = None) -> str:
    """``2024-03-05T00:00:00Z`` → the date for the interface's locale (``5 Mar 2024``,
    ``2024-03-05``, ``5 mars 2024``…); the text as given when it is not a date."""
    if not iso:
        return ""
    return _display_date(str(iso)[:10], LOCALES.get(lang or ui_language(), "en"))


@lru_cache(maxsize=8192)
def _display_date(day_text: str, locale: str) -> str:
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return day_text
    return format_date(day, format="medium", locale=locale)


def format_number(value: Any, decimals: int, locale: str) -> str:
    """``value`` with the locale's digit grouping and decimal sign (``12,345`` / ``12 345`` /
    ``12.345``; ``1.5`` / ``1,5``), as Babel's ``format_decimal`` writes it with the pattern
    ``#,##0[.0…]``, but from Python's own formatting (a search page shows some 80 numbers)."""
    fast = _number_symbols(locale, decimals)
    if fast is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return format_decimal(value, format=_number_pattern(decimals), locale=locale)
    group, point, min_grouped = fast
    text = f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"
    if abs(value) < min_grouped:
        text = text.replace(",", "")
    return text.translate({44: group, 46: point})


def _number_pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@lru_cache(maxsize=256)
def _number_symbols(locale: str, decimals: int) -> tuple[str, str, int] | None:
    """The group and decimal signs of ``locale`` and the smallest number that is grouped, read
    from Babel's own output; ``None`` (use Babel) unless the short way gives Babel's answers."""
    pattern = _number_pattern(decimals)
    sample = format_decimal(1234567.25, format="#,##0.00", locale=locale)
    group, point = sample[1], sample[-3]
    min_grouped = 10_000 if len(format_decimal(1234, format="#,##0", locale=locale)) == 4 else 0
    found = (group, point, min_grouped)
    for probe in (0, 7, 999, 1000, 1234, 9999, 10000, 12345, 123456, 1234567, -4321, 2.5,
                  1234.45, 99999.95, 0.05):
        text = f"{probe:,.{decimals}f}" if decimals else f"{round(probe):,}"
        if abs(probe) < min_grouped:
            text = text.replace(",", "")
        if text.translate({44: group, 46: point}) != format_decimal(probe, format=pattern,
                                                                     locale=locale):
            return None
    return found


def truncate(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def snippet_html(hit: Hit) -> Markup:
    """The highlighted snippet, or the start of the summary (escaped) when there is none."""
    if hit.snippet is not None and hit.snippet.text:
        return hit.snippet.to_html()
    return escape(truncate(hit.doc.get("summary"), 300))


def hit_view(hit: Hit, labels: Labels, resource_path: str) -> dict[str, Any]:
    if labels.lang is None:
        labels.lang = ui_language()
    lang = labels.lang
    d = hit.doc
    instances = list(d.get("instances") or [])
    source_ids = list(dict.fromkeys(i.get("source_id") for i in instances if i.get("source_id")))
    url = d.get("url")
    title = (d.get("title") or "").strip()
    language = d.get("language")
    return {
        "id": hit.id,
        "title": title or host_of(url) or _("Untitled"),
        "url": url,
        "href": safe_href(url),
        "host": host_of(url),
        "summary": d.get("summary") or "",
        "snippet": snippet_html(hit),
        "language": d.get("language"),
        "language_label": labels("language", d.get("language")),
        "language_name": language_name(language, lang),
        # issue 10: a result in none of the user's languages is marked ("in Italian")
        "other_language": bool(language) and language not in user_languages(),
        "published": d.get("published"),
        "date": d.get("date"),
        "date_display": display_date(d.get("date"), lang),
        "type": d.get("type"),
        "type_label": labels("type", d.get("type")),
        "themes": list(d.get("themes") or []),
        "theme_labels": [labels("theme", t) for t in d.get("themes") or []],
        "format": d.get("format"),
        "publisher": d.get("publisher"),
        "countries": list(d.get("countries") or []),
        "cities": list(d.get("cities") or []),
        # structured facts: a call's deadline, an event's start and end (ISO 8601 UTC), the
        # places the resource is about (resource.Place.to_json)
        "deadline": d.get("deadline"),
        "deadline_display": display_date(d.get("deadline"), lang),
        "start": d.get("start"),
        "end": d.get("end"),
        "places": list(d.get("places") or []),
        "instances": [{"source_id": i.get("source_id"), "url": i.get("url")} for i in instances],
        "sources": [labels("source", s) for s in source_ids],
        "resource_url": resource_path,
    }


def api_result(view: Mapping[str, Any]) -> dict[str, Any]:
    """One result of ``/api/search`` (a fixed set of keys; the snippet is escaped HTML)."""
    return {
        "id": view["id"],
        "title": view["title"],
        "url": view["url"],
        "summary": view["summary"],
        "snippet": str(view["snippet"]),
        "language": view["language"],
        "published": view["published"],
        "date": view["date"],
        "type": view["type"],
        "themes": view["themes"],
        "format": view["format"],
        "countries": view["countries"],
        "deadline": view["deadline"],
        "start": view["start"],
        "end": view["end"],
        "places": view["places"],
        "instances": view["instances"],
        "resource_url": view["resource_url"],
    }


def ordered_facets(
    results: SearchResults, selected: Mapping[str, list[str]]
) -> dict[str, list[FacetValue]]:
    """Facet values in FACETS order, as the page and the API show them.

    Selected values always appear (with count 0 when the other filters exclude them) so they
    can be unticked, and come first so they are never hidden behind "show more"; years are
    listed newest first, other values by count.
    """
    out: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        values: list[FacetValue] = list(results.facets.get(name, []))
        seen = {v.value for v in values}
        chosen = selected.get(name, [])
        values += [FacetValue(v, 0) for v in chosen if v not in seen]
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        values.sort(key=lambda v: v.value not in chosen)  # stable: selected first
        out[name] = values
    return out


def facet_groups(results: SearchResults, state: SearchState, labels: Labels) -> list[dict]:
    """Facet groups for the page: each value with its label, count (and the count written out
    for the interface's locale, with "result(s)" for screen readers), selection and toggle
    URL."""
    locale = LOCALES.get(ui_language(), "en")
    ngettext = translations().ungettext
    return [
        {
            "name": name,
            "heading": str(FACET_HEADINGS[name]),
            "values": [
                {
                    "value": v.value,
                    "label": labels(name, v.value),
                    "count": v.count,
                    "count_text": format_number(v.count, 0, locale),
                    "count_words": ngettext("result", "results", v.count),
                    "selected": state.is_selected(name, v.value),
                    "url": state.toggle_url(name, v.value),
                }
                for v in values
            ],
        }
        for name, values in ordered_facets(results, state.query.filters).items()
    ]


def results_json(
    results: SearchResults,
    *,
    labels: Labels | None = None,
    resource_url: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The JSON document of ``/api/search`` (also used by ``ccp search --json``)."""
    labels = labels or Labels({}, theme_labels())
    resource_url = resource_url or (lambda rid: f"/resource/{rid}")
    q = results.query
    return {
        "total": results.total,
        "page": q.page,
        "pages": results.pages,
        "per_page": q.per_page,
        "took_ms": round(float(results.took_ms), 3),
        # the search retried leniently ("some_words" | "similar_spelling") and a did-you-mean
        "relaxed": getattr(results, "relaxed", None),
        "suggestion": getattr(results, "suggestion", None),
        # issue 10: the concept expansion ("also searching: food waste, spreco alimentare")
        "expansion": list(getattr(results, "expansion", None) or []),
        "query": {
            "q": q.text,
            "filters": q.filters,
            "sort": q.effective_sort,
            "include_gone": q.include_gone,
            "open": q.open,
            "upcoming": q.upcoming,
            "date_from": q.date_from.isoformat() if q.date_from else None,
            "date_to": q.date_to.isoformat() if q.date_to else None,
        },
        "results": [api_result(hit_view(h, labels, resource_url(h.id))) for h in results.hits],
        "facets": {
            name: [
                {"value": v.value, "count": v.count, "label": labels(name, v.value)}
                for v in values
            ]
            for name, values in ordered_facets(results, q.filters).items()
        },
    }


RESTRICTION_LABELS: dict[str, Any] = {
    "open": lazy_gettext("Open calls only"),
    "upcoming": lazy_gettext("Upcoming events only"),
    "date_from": lazy_gettext("Date from"),
    "date_to": lazy_gettext("Date to"),
}


def chips(state: SearchState, labels: Labels) -> list[dict]:
    """The active filters, each with the URL that removes it: facet values, then the
    structured facts (open calls, upcoming events, the date range)."""
    out = [
        {
            "facet": facet,
            "heading": str(FACET_HEADINGS[facet]),
            "value": value,
            "label": labels(facet, value),
            "remove_url": state.toggle_url(facet, value),
        }
        for facet, value in state.selected()
    ]
    for name, value in state.restrictions():
        dated = name.startswith("date_")
        out.append({
            "facet": name,
            "heading": str(RESTRICTION_LABELS[name]) if dated else "",
            "value": value,
            "label": display_date(value) if dated else str(RESTRICTION_LABELS[name]),
            "remove_url": state.without_url(name),
        })
    return out


def merge_label(info: Any) -> str:
    """Why an instance joined its resource, in the interface language: "near-duplicate of
    https://…: resemblance 0.91 / containment 0.97" (an ``indexer.catalogue.MergeInfo``)."""
    if info is None:
        return ""
    matched = info.matched_url or _("the first copy")
    if info.reason == "url":
        text = _("same URL as %(url)s", url=matched)
    elif info.reason == "text":
        text = _("same text as %(url)s", url=matched)
    elif info.reason == "near":
        text = _("near-duplicate of %(url)s", url=matched)
    else:
        return info.label
    locale = LOCALES.get(ui_language(), "en")
    if info.reason == "near" and info.resemblance is not None:
        resemblance = format_decimal(info.resemblance, format="0.00", locale=locale)
        if info.containment is not None:
            containment = format_decimal(info.containment, format="0.00", locale=locale)
            text = _("%(why)s: resemblance %(r)s / containment %(c)s", why=text,
                     r=resemblance, c=containment)
        else:
            text = _("%(why)s: resemblance %(r)s", why=text, r=resemblance)
    return text
