"""near-duplicate signatures over words without diacritics

Every signature, shingle count and LSH band key is recomputed with words compared without
diacritics (NFKD, combining marks dropped, ``ł đ ø ħ ı ŀ ŧ`` as their base letters): a PDF set
in a font that lacks "ė" or "ą" prints "e" and "a", and its copy on a web page must still
shingle alike. No table or column changes.

The signature code is 0004's frozen scheme (loaded from that revision's file, never from
:mod:`indexer.neardup`) with this revision's word normalisation. ``tests/test_merges.py``
checks that an upgraded catalogue holds exactly the sketches and band keys the running code
computes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:20:00
"""

import importlib
import re
import unicodedata

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_0004 = importlib.import_module('indexer.migrations.versions.0004_merge_reasons')


def upgrade() -> None:
    _recompute(op.get_bind(), _Scheme())


def downgrade() -> None:
    # a downgraded catalogue compares like with like: 0004's signatures again
    _recompute(op.get_bind(), _0004._Scheme())


_resources = sa.table('resources', sa.column('id', sa.String), sa.column('body', sa.Text),
                      sa.column('minhash', sa.LargeBinary), sa.column('shingles', sa.Integer))
_bands = sa.table('resource_bands', sa.column('band', sa.SmallInteger),
                  sa.column('key', sa.BigInteger), sa.column('resource_id', sa.String))


def _recompute(bind, scheme, batch: int = 500) -> None:
    bind.execute(sa.delete(_bands))
    set_sketch = (sa.update(_resources).where(_resources.c.id == sa.bindparam('rid'))
                  .values(minhash=sa.bindparam('mh'), shingles=sa.bindparam('n')))
    last = ''
    while True:
        rows = bind.execute(sa.select(_resources.c.id, _resources.c.body)
                            .where(_resources.c.id > last).order_by(_resources.c.id)
                            .limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        sketches, bands = [], []
        for rid, body in rows:
            sk = scheme.sketch(body or '')
            if sk is None:
                sketches.append({'rid': rid, 'mh': None, 'n': None})
                continue
            sig, size = sk
            sketches.append({'rid': rid, 'mh': sig.astype('<u8').tobytes(), 'n': size})
            bands += [{'band': b, 'key': k, 'resource_id': rid}
                      for b, k in scheme.band_keys(sig)]
        bind.execute(set_sketch, sketches)
        if bands:
            bind.execute(sa.insert(_bands), bands)


# -- frozen scheme at revision 0005: 0004's with folded words -------------------------------------
_FOLD = str.maketrans({'ł': 'l', 'đ': 'd', 'ø': 'o', 'ħ': 'h', 'ı': 'i', 'ŀ': 'l', 'ŧ': 't'})
_FOLD_CHARS = re.compile('[łđøħıŀŧ]')


class _Scheme(_0004._Scheme):
    def _shingles(self, text):
        if text.isascii():
            b = np.frombuffer(text.lower().encode('ascii'), dtype=np.uint8)
        else:
            t = unicodedata.normalize('NFKD', text).replace('\u00ad', '').casefold()
            if _FOLD_CHARS.search(t):
                t = t.translate(_FOLD)
            b = np.frombuffer(t.encode('utf-8', 'replace'), dtype=np.uint8)
            lead = np.flatnonzero((b[:-1] == 0xCC) | ((b[:-1] == 0xCD) & (b[1:] < 0xB0)))
            if lead.size:
                keep = np.ones(len(b), dtype=bool)
                keep[lead] = keep[lead + 1] = False
                b = b[keep]
        w = self._word_hashes(b)
        if len(w) < self.MIN_WORDS:
            return None
        m = len(w) - self.SHINGLE + 1
        acc = w[:m] * self.shingle_mult[0]
        for j in range(1, self.SHINGLE):
            acc += w[j:j + m] * self.shingle_mult[j]
        return self._mix(acc)

