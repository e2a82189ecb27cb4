"""Search responses to results: snippets from highlight fragments, facets from aggregations."""

from __future__ import annotations

from typing import Any

from ...query import FACETS, FacetValue, Snippet
from .constants import LEXICAL_AGG, POST_TAG, PRE_TAG, SNIPPET_CHARS

# -- snippets ---------------------------------------------------------------------------------


def snippet_from_fragment(fragment: str) -> Snippet:
    """A highlighted fragment from Elasticsearch (matches between :data:`PRE_TAG` and
    :data:`POST_TAG`) as plain text with highlight ranges; whitespace runs become one space.

    The text is taken as it is — it is never HTML: :meth:`Snippet.to_html` escapes it.
    """
    out: list[str] = []
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    length = 0
    pending_space = False
    for ch in fragment:
        if ch == PRE_TAG:
            if start is None:
                if pending_space and length:
                    out.append(" ")
                    length += 1
                pending_space = False
                start = length
            continue
        if ch == POST_TAG:
            if start is not None:
                if length > start:
                    ranges.append((start, length))
                start = None
            continue
        if ch.isspace():
            pending_space = True
            continue
        if pending_space and length:
            out.append(" ")
            length += 1
        pending_space = False
        out.append(ch)
        length += 1
    if start is not None and length > start:
        ranges.append((start, length))
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return Snippet(text="".join(out), highlights=merged)


def _leading_snippet(text: str) -> Snippet:
    """The start of a text, cut at a word boundary, without highlights."""
    text = " ".join((text or "").split())
    if len(text) <= SNIPPET_CHARS:
        return Snippet(text=text)
    cut = text.rfind(" ", 0, SNIPPET_CHARS + 1)
    return Snippet(text=text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS])


def hit_snippet(raw: dict[str, Any], view: dict[str, Any], lead: str) -> Snippet:
    """The best highlighted passage of the summary or body; else the start of the summary (or
    of the body), like the embedded engine."""
    title = " ".join((view.get("title") or "").split())
    for fragments in (raw.get("highlight") or {}).values():
        for fragment in fragments or ():
            snippet = snippet_from_fragment(fragment)
            # The title is the last part of the text array: a passage from it repeats the title.
            if snippet.highlights and not (title and snippet.text in title):
                return snippet
    return _leading_snippet(view.get("summary") or lead)


def lexical_total(aggregations: dict[str, Any]) -> int | None:
    """The text's own matches of a query with ``also_ids`` (queries.LEXICAL_AGG), else None."""
    agg = aggregations.get(LEXICAL_AGG)
    return None if agg is None else int(agg.get("doc_count", 0))


def facets_from_aggregations(aggregations: dict[str, Any], size: int
                             ) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        counted = sorted(
            ((str(b["key"]), int(b["doc_count"])) for b in buckets if b.get("doc_count")),
            key=lambda vc: (-vc[1], vc[0]),
        )
        out[facet] = [FacetValue(v, c) for v, c in counted[: max(0, size)]]
    return out


def vocabulary_from_response(words: list[str], resp: dict[str, Any]
                             ) -> dict[str, tuple[int, list[tuple[str, int]]]]:
    """The answer to :func:`queries.compile_vocabulary`: per word, its document count and the
    suggested terms with their document counts summed over the fields."""
    aggs = resp.get("aggregations") or {}
    near: dict[str, dict[str, int]] = {w: {} for w in words}
    for entries in (resp.get("suggest") or {}).values():
        for entry in entries or ():
            found = near.get(entry.get("text", ""))
            if found is None:
                continue
            for option in entry.get("options") or ():
                term = option.get("text", "")
                found[term] = found.get(term, 0) + int(option.get("freq", 0))
    return {
        w: (int(aggs.get(f"word_{i}", {}).get("doc_count", 0)), sorted(near[w].items()))
        for i, w in enumerate(words)
    }
