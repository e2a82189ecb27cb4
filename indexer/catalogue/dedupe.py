"""The near-duplicate layer's storage: signatures, LSH band keys, the candidate lookup."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import BigInteger, and_, bindparam, delete, insert, or_, select
from sqlalchemy.engine import Connection

from .. import neardup
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
_SIGNATURES = (select(resources_t.c.id, resources_t.c.minhash)
               .where(resources_t.c.id.in_(bindparam("ids", expanding=True))))
_SERVED_BY_SOURCE = (select(instances_t.c.resource_id)
                     .where(instances_t.c.resource_id.in_(bindparam("ids", expanding=True)),
                            instances_t.c.source_id == bindparam("source_id"),
                            instances_t.c.status == "live"))


def sig_bytes(sig: neardup.Signature | None) -> bytes | None:
    return None if sig is None else neardup.to_bytes(sig)


def insert_bands(c: Connection, rid: str, sig: neardup.Signature | None) -> None:
    if sig is not None:
        c.execute(insert(resource_bands_t),
                  [{"band": b, "key": k, "resource_id": rid} for b, k in neardup.band_keys(sig)])


def replace_bands(c: Connection, rid: str, sig: neardup.Signature | None) -> None:
    c.execute(delete(resource_bands_t).where(resource_bands_t.c.resource_id == rid))
    insert_bands(c, rid, sig)


def near_duplicate(c: Connection, sig: neardup.Signature, source_id: str | None
                    ) -> tuple[str, float] | None:
    """(resource id, estimated Jaccard) of the most similar resource whose text is a near
    duplicate of the text with signature ``sig``, seen from ``source_id`` (the stricter
    threshold applies to a resource that source still serves at a live instance)."""
    shared = Counter(r[0] for r in c.execute(
        _BAND_MATCHES, {f"k{b}": k for b, k in neardup.band_keys(sig)}))
    if not shared:
        return None
    rids = [rid for rid, _n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
            [:MAX_NEAR_CANDIDATES]]
    stored = dict(c.execute(_SIGNATURES, {"ids": rids}).all())
    same_source: set[str] = set()
    if source_id is not None:
        same_source = {r[0] for r in c.execute(_SERVED_BY_SOURCE,
                                               {"ids": rids, "source_id": source_id})}
    best: tuple[str, float] | None = None
    for rid in rids:
        if not stored.get(rid):
            continue
        sim = neardup.similarity(sig, neardup.from_bytes(stored[rid]))
        need = neardup.SAME_SOURCE_THRESHOLD if rid in same_source else neardup.THRESHOLD
        if sim >= need and (best is None or sim > best[1]):
            best = (rid, sim)
    return best


def union_places(a: list[dict], b: list[dict]) -> list[dict]:
    out: list[dict] = []
    for p in [*a, *b]:
        p = {"country": p.get("country"), "city": p.get("city")}
        if (p["country"] or p["city"]) and p not in out:
            out.append(p)
    return out
