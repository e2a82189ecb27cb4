"""The near-duplicate layer's storage: signatures, LSH band keys, the candidate lookup."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from sqlalchemy import BigInteger, and_, bindparam, delete, insert, or_, select
from sqlalchemy.engine import Connection

from .. import neardup
from ..resource import Place
from .tables import instances_t, resource_bands_t, resources_t


# Candidates compared per lookup, those sharing the most bands first (a text nearly the same
# as an existing one shares most of its 16 bands with it), out of at most MAX_BAND_ROWS band
# matches: bounds the work when a template makes many pages share bands.
MAX_NEAR_CANDIDATES = 50
MAX_BAND_ROWS = 2000
# Resources sharing a band key with a signature: an OR of (band = i AND key = :k<i>) rather
# than a row-value IN, which SQLite plans as a scan of the table (the OR: one primary key
# search per band); built once, as building it per lookup costs more than running it.
_BAND_MATCHES = (
    select(resource_bands_t.c.resource_id)
    .where(or_(*(and_(resource_bands_t.c.band == i,
                      resource_bands_t.c.key == bindparam(f"k{i}", type_=BigInteger))
                 for i in range(neardup.BANDS))))
    .limit(MAX_BAND_ROWS)
)
_SIGNATURES = (select(resources_t.c.id, resources_t.c.minhash, resources_t.c.shingles,
                      resources_t.c.title)
               .where(resources_t.c.id.in_(bindparam("ids", expanding=True))))
_BODY = select(resources_t.c.body).where(resources_t.c.id == bindparam("id"))
_SERVED_BY_SOURCE = (select(instances_t.c.resource_id)
                     .where(instances_t.c.resource_id.in_(bindparam("ids", expanding=True)),
                            instances_t.c.source_id == bindparam("source_id"),
                            instances_t.c.status == "live"))


def sig_bytes(sk: neardup.Sketch | None) -> bytes | None:
    return None if sk is None else neardup.to_bytes(sk.sig)


def sketch_values(sk: neardup.Sketch | None) -> dict:
    """The resource columns that store a sketch."""
    return {"minhash": sig_bytes(sk), "shingles": None if sk is None else sk.size}


def insert_bands(c: Connection, rid: str, sk: neardup.Sketch | None) -> None:
    if sk is not None:
        c.execute(insert(resource_bands_t), [{"band": b, "key": k, "resource_id": rid}
                                             for b, k in neardup.band_keys(sk.sig)])


def replace_bands(c: Connection, rid: str, sk: neardup.Sketch | None) -> None:
    c.execute(delete(resource_bands_t).where(resource_bands_t.c.resource_id == rid))
    insert_bands(c, rid, sk)


def same_title(a: str | None, b: str | None) -> bool:
    return " ".join(neardup.words(a or "")) == " ".join(neardup.words(b or ""))


class NearMatch(NamedTuple):
    resource_id: str
    match: neardup.Match


def near_duplicate(c: Connection, sk: neardup.Sketch | neardup.Signature,
                   source_id: str | None, *, title: str | None = None, text: str | None = None,
                   exclude: frozenset[str] | set[str] = frozenset()) -> NearMatch | None:
    """The most similar resource whose text is a near duplicate of the text sketched by
    ``sk``, seen from ``source_id``: a resource that source still serves at a live instance
    is the same page only with the same title and a near-identical text
    (:func:`indexer.neardup.same_resource`). With the ``text`` itself, a candidate whose
    estimate is within reach of a merge is decided on the exact figures of the two texts
    (:func:`indexer.neardup.measure`). ``exclude``: resources it must not join."""
    if not isinstance(sk, neardup.Sketch):  # a bare signature: resemblance only
        sk = neardup.Sketch(sk, 0)
    shared = Counter(r[0] for r in c.execute(
        _BAND_MATCHES, {f"k{b}": k for b, k in neardup.band_keys(sk.sig)}))
    for rid in exclude:
        shared.pop(rid, None)
    if not shared:
        return None
    rids = [rid for rid, _n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
            [:MAX_NEAR_CANDIDATES]]
    stored = {r[0]: r for r in c.execute(_SIGNATURES, {"ids": rids})}
    same_source: set[str] = set()
    if source_id is not None:
        same_source = {r[0] for r in c.execute(_SERVED_BY_SOURCE,
                                               {"ids": rids, "source_id": source_id})}
    best: NearMatch | None = None
    for rid in rids:
        row = stored.get(rid)
        if row is None or not row[1]:
            continue
        other = neardup.Sketch(neardup.from_bytes(row[1]), row[2] or 0)
        m = neardup.compare(sk, other)
        if not (sk.size and other.size):  # no sizes: containment unknown
            m = neardup.Match(m.resemblance, 0.0, 0.0)
        inside = rid in same_source
        if inside and title is not None and not same_title(title, row[3]):
            continue  # two pages of one site with different titles are two pages
        if text is not None and neardup.in_reach(m):
            exact = neardup.measure(text, c.execute(_BODY, {"id": rid}).scalar() or "")
            m = exact if exact is not None else m
        if neardup.same_resource(m, same_source=inside) and (
                best is None or _strength(m) > _strength(best.match)):
            best = NearMatch(rid, m)
    return best


def _strength(m: neardup.Match) -> tuple[float, float]:
    return (max(m.resemblance, m.containment * (m.share >= neardup.MIN_CONTAINED_SHARE)),
            m.resemblance)


def union_places(a: list[dict], b: list[dict]) -> list[dict]:
    """The stored places of ``a`` then ``b`` (resource.Place.to_json), each place once; a
    place known to both keeps ``a``'s entry, completed with what ``b`` knows of it (its
    GeoNames id)."""
    out: dict[tuple, Place] = {}
    for raw in [*a, *b]:
        if not isinstance(raw, dict):
            continue
        p = Place.from_json(raw)
        if not (p.country or p.city or p.name):
            continue
        known = out.get(p.key)
        if known is None:
            out[p.key] = p
        elif known.geonameid is None and p.geonameid is not None:
            known.geonameid = p.geonameid
    return [p.to_json() for p in out.values()]
