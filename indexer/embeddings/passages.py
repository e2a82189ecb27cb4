"""What is embedded of a resource: its title, its summary and the lead of its text.

Embedding costs ~1 s per 300-word passage on one core (the default model), so a resource is
embedded from what says what it is about, never from a whole report: the title, the summary
(at most :data:`SUMMARY_WORDS` words) and the first :data:`LEAD_WORDS` words of the text.
"""

from __future__ import annotations

import hashlib

from ..resource import Resource

LEAD_WORDS = 120
SUMMARY_WORDS = 80


def _words(text: str | None, limit: int) -> list[str]:
    words = (text or "").split(None, limit)
    return words[:limit]


def passage_text(r: Resource) -> str:
    """The text a resource is embedded from (empty when it has no words at all)."""
    title = " ".join(_words(r.title, 40))
    summary = _words(r.summary, SUMMARY_WORDS)
    lead = _words(r.body, LEAD_WORDS + len(summary))
    if summary and lead[: len(summary)] == summary:
        summary = []  # the summary is the start of the text: say it once
    lead = lead[:LEAD_WORDS]
    parts = [title, " ".join(summary), " ".join(lead)]
    return "\n".join(p for p in parts if p)


def text_hash(text: str) -> str:
    """Fingerprint of a passage: a resource whose passage changes is embedded again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
