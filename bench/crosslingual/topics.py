"""Load the cross-lingual test collection: the relevance collection's sites and documents
(rendered by ``bench/relevance/build.py``) plus ``queries.yaml`` grouped by topic.

Every document names its ``topic`` (or ``distractor``); a topic's documents are graded 2 for
each of its queries and a query may grade further documents (1 = a broader page that helps).
:func:`load` checks what makes the collection cross-lingual: no query is written in the language
of a document it is judged against, a topic has documents in at least two languages, and the
split of a topic, its documents and its queries agree. See ``FORMAT.md`` beside this file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent.parent))

from bench.relevance.build import Collection, CollectionError, Query, load_collection  # noqa: E402

DISTRACTOR = "distractor"
MAX_QUERY_WORDS = 4


@dataclass
class Topic:
    id: str
    split: str
    subject: str
    docs: list[str] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)


def load(root: Path = ROOT, *, types=None, themes=None) -> tuple[Collection, dict[str, Topic]]:
    """The collection (its ``queries`` filled from ``queries.yaml``) and its topics, checked."""
    col = load_collection(root, types=types, themes=themes)
    raw = yaml.safe_load((root / "queries.yaml").read_text(encoding="utf-8")) or {}
    topics: dict[str, Topic] = {}
    for t in raw.get("topics", []):
        if t["id"] in topics:
            raise CollectionError(f"queries.yaml: topic {t['id']!r} is defined twice")
        topics[t["id"]] = Topic(t["id"], t.get("split", "tune"), t.get("subject", ""))
    for doc_id, topic_id in _doc_topics(root).items():
        if topic_id == DISTRACTOR:
            continue
        if topic_id not in topics:
            raise CollectionError(f"document {doc_id!r}: unknown topic {topic_id!r}")
        topics[topic_id].docs.append(doc_id)
    seen: set[str] = set()
    for t in raw.get("topics", []):
        topic = topics[t["id"]]
        for q in t.get("queries") or []:
            if q["id"] in seen:
                raise CollectionError(f"queries.yaml: query {q['id']!r} is defined twice")
            seen.add(q["id"])
            judgements = {d: 2 for d in topic.docs}
            judgements.update({str(d): int(g) for d, g in (q.get("judgements") or {}).items()})
            topic.queries.append(Query(id=q["id"], lang=q["lang"], text=str(q["text"]),
                                       split=topic.split, intent=q.get("intent", ""),
                                       judgements=judgements))
    for topic in topics.values():
        _check_topic(col, topic)
    col.queries = [q for t in topics.values() for q in t.queries]
    return col, topics


def _doc_topics(root: Path) -> dict[str, str]:
    """Document id -> its ``topic`` (the relevance loader ignores the key, so read it here)."""
    out: dict[str, str] = {}
    for f in sorted((root / "docs").glob("*.yaml")):
        for raw in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("docs", []):
            if not raw.get("topic"):
                raise CollectionError(f"{f.name}: document {raw.get('id')!r} has no topic")
            out[raw["id"]] = raw["topic"]
    return out


def _check_topic(col: Collection, topic: Topic) -> None:
    where = f"queries.yaml: topic {topic.id!r}"
    langs = {col.docs[d].lang for d in topic.docs}
    if len(topic.docs) < 2 or len(langs) < 2:
        raise CollectionError(f"{where}: needs documents in at least two languages")
    if not topic.queries:
        raise CollectionError(f"{where}: has no query")
    for d in topic.docs:
        if col.docs[d].split != topic.split:
            raise CollectionError(f"{where}: document {d!r} is {col.docs[d].split}, "
                                  f"the topic is {topic.split}")
    for q in topic.queries:
        unknown = set(q.judgements) - set(col.docs)
        if unknown:
            raise CollectionError(f"{where}: query {q.id!r} judges unknown documents "
                                  f"{sorted(unknown)}")
        same = sorted(d for d in q.judgements if col.docs[d].lang == q.lang)
        if same:
            raise CollectionError(f"{where}: query {q.id!r} is in {q.lang}, like {same}")
        if set(q.judgements.values()) - {1, 2}:
            raise CollectionError(f"{where}: query {q.id!r}: grades are 1 or 2")
        if not 1 <= len(q.text.split()) <= MAX_QUERY_WORDS:
            raise CollectionError(f"{where}: query {q.id!r} is not 1-{MAX_QUERY_WORDS} words")


def summary(col: Collection, topics: dict[str, Topic]) -> dict:
    """Counts for the report: topics, documents and queries per language and split."""
    from collections import Counter

    docs = Counter(d.lang for d in col.docs.values())
    topic_docs = Counter(col.docs[d].lang for t in topics.values() for d in t.docs)
    queries = Counter(q.lang for q in col.queries)
    heldout = [t for t in topics.values() if t.split == "heldout"]
    return {
        "topics": len(topics), "heldout_topics": len(heldout),
        "documents": len(col.docs), "topic_documents": sum(topic_docs.values()),
        "distractors": len(col.docs) - sum(topic_docs.values()),
        "documents_per_language": dict(sorted(docs.items())),
        "topic_documents_per_language": dict(sorted(topic_docs.items())),
        "queries": len(col.queries),
        "heldout_queries": sum(q.split == "heldout" for q in col.queries),
        "queries_per_language": dict(sorted(queries.items())),
    }


if __name__ == "__main__":
    import json

    from config.taxonomy import default_taxonomy

    tax = default_taxonomy()
    c, t = load(types=set(tax.types), themes=set(tax.themes))
    print(json.dumps(summary(c, t), indent=1, ensure_ascii=False))
