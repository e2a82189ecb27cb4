"""merge reasons, undone merges, three-word shingles with containment

- ``merges``: why each merged instance joined its resource (``url``, ``text`` or ``near``,
  the resource's URL it matched, the estimated resemblance and containment);
- ``merge_splits``: merges an operator undid (``ccp resources split``, the admin): that URL
  never joins that resource again;
- ``resources.shingles``: the number of distinct shingles of the body, which with the MinHash
  signature estimates containment (a copy cut by a paywall, or with an added intro, is
  contained in the original);
- every signature and its LSH band keys are recomputed with three-word shingles (five-word
  shingles were blind on the 100–300-word pages cities publish), short lines of page chrome
  left out, and 64 bands of 2 rows (so that a copy contained in a longer text, at a
  resemblance of 0.3, is still found as a candidate).

The signature code below is a frozen copy of :mod:`indexer.neardup` as of this revision (see
0002). ``tests/test_merges.py`` checks that an upgraded catalogue holds exactly the sketches and
band keys the running code computes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:05:00
"""

import re
import unicodedata

import numpy as np
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'merges',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=8), nullable=False),
        sa.Column('matched_url', sa.Text(), nullable=True),
        sa.Column('resemblance', sa.Float(), nullable=True),
        sa.Column('containment', sa.Float(), nullable=True),
        sa.Column('merged_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id'),
    )
    op.create_table(
        'merge_splits',
        sa.Column('id', sa.Integer(), nullable=False, autoincrement=True),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('resource_id', sa.String(length=40), nullable=False),
        sa.Column('new_resource_id', sa.String(length=40), nullable=False),
        sa.Column('split_by', sa.Text(), nullable=True),
        sa.Column('split_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_merge_splits_url', 'merge_splits', ['url'], unique=False)
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shingles', sa.Integer(), nullable=True))
    _recompute(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('shingles')
    op.drop_index('ix_merge_splits_url', table_name='merge_splits')
    op.drop_table('merge_splits')
    op.drop_table('merges')
    # the signatures stay three-word ones: a downgraded catalogue still finds the copies
    # that are closest, and `ccp db upgrade` recomputes them again


# -- recomputing every sketch ----------------------------------------------------------------------
_resources = sa.table('resources', sa.column('id', sa.String), sa.column('body', sa.Text),
                      sa.column('minhash', sa.LargeBinary), sa.column('shingles', sa.Integer))
_bands = sa.table('resource_bands', sa.column('band', sa.SmallInteger),
                  sa.column('key', sa.BigInteger), sa.column('resource_id', sa.String))


def _recompute(bind, batch: int = 500) -> None:
    scheme = _Scheme()
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
        last = rows[-1][0]


# -- frozen copy of indexer.neardup at revision 0004 (chrome lines left out, 3-word shingles
#    and their count, 128 permutations, 64 bands x 2 rows, at least 50 words) -----------------
_MASK = (1 << 64) - 1
# lines of page chrome left out before hashing (short lines with one of these words)
_CHROME_WORDS = re.compile(
    r"cookie|newsletter|subscri|abonn|paywall|consent|zustimm|einwillig|"
    r"toestemming|suostum|souhlas|zgod[ay]|sutikim|consentim|consenso|"
    r"share this|partager|compartir|condividi|teilen|delen|jaa |sdílet|udostępnij|"
    r"first published|publié initialement|publicado originalmente|pubblicato originariamente|"
    r"zuerst erschienen|eerder verschenen|julkaistu alun perin|advertis|sponsored|"
    r"all rights reserved|tous droits réservés|todos los derechos|alle rechte",
    re.IGNORECASE)


class _Scheme:
    SHINGLE, PERMUTATIONS, BANDS, ROWS, MIN_WORDS = 3, 128, 64, 2, 50
    SEGMENT = 1 << 18

    def __init__(self):
        u64 = self.u64 = np.uint64
        self.perm_a = self._constants(0x6363702D6D696E31, self.PERMUTATIONS, odd=True)
        self.perm_b = self._constants(0x6363702D6D696E32, self.PERMUTATIONS)
        self.shingle_mult = self._constants(0x6363702D73686E67, self.SHINGLE, odd=True)
        self.band_mult = self._constants(0x6363702D62616E64, self.ROWS, odd=True)
        base = 0x100000001B3
        self.pow = self._powers(base, self.SEGMENT + 1)
        self.pow_inv = self._powers(pow(base, -1, 1 << 64), self.SEGMENT + 1)
        self.word_byte = np.zeros(256, dtype=bool)
        for lo, hi in ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x80, 0xFF)):
            self.word_byte[lo:hi + 1] = True
        p = self.punct = np.zeros((256, 256), dtype=np.uint8)
        p[0xC2, 0xA0:0xC0] = 2
        p[0xC3, 0x97] = p[0xC3, 0xB7] = 2
        p[0xE2, 0x80:0xB0] = 3
        p[0xE3, 0x80] = 3
        p[0xF0, 0x9F] = 4
        self.m1, self.m2 = u64(0xBF58476D1CE4E5B9), u64(0x94D049BB133111EB)

    def _constants(self, seed, n, odd=False):
        out, state = [], seed
        for _ in range(n):
            state = (state + 0x9E3779B97F4A7C15) & _MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            out.append((z ^ (z >> 31)) | (1 if odd else 0))
        return np.array(out, dtype=self.u64)

    def _powers(self, base, n):
        a = np.full(n, base, dtype=self.u64)
        a[0] = 1
        return np.cumprod(a, dtype=self.u64)

    def _mix(self, x):
        u64 = self.u64
        x = x ^ (x >> u64(30))
        x *= self.m1
        x ^= x >> u64(27)
        x *= self.m2
        x ^= x >> u64(31)
        return x

    def _word_mask(self, b):
        mask = self.word_byte[b]
        lead = np.flatnonzero(b[:-1] >= 0xC2)
        if lead.size:
            length = self.punct[b[lead], b[lead + 1]]
            hit = np.flatnonzero(length)
            if hit.size:
                lead, length = lead[hit], length[hit]
                for k in range(4):
                    mask[lead[length > k] + k] = False
        return mask

    @staticmethod
    def _word_spans(mask):
        change = np.empty(len(mask) + 1, dtype=bool)
        if len(mask):
            change[0], change[-1] = mask[0], mask[-1]
            np.not_equal(mask[1:], mask[:-1], out=change[1:-1])
        else:
            change[0] = False
        edges = np.flatnonzero(change)
        return edges[0::2], edges[1::2]

    def _word_hashes(self, b):
        mask = self._word_mask(b)
        out, start, n = [], 0, len(b)
        while start < n:
            end = min(start + self.SEGMENT, n)
            if end < n:
                seps = np.flatnonzero(~mask[start:end])
                if seps.size:
                    end = start + int(seps[-1]) + 1
            seg = b[start:end]
            starts, ends = self._word_spans(mask[start:end])
            if starts.size:
                prefix = np.zeros(len(seg) + 1, dtype=self.u64)
                np.cumsum(seg.astype(self.u64) * self.pow[:len(seg)], out=prefix[1:])
                out.append(self._mix((prefix[ends] - prefix[starts]) * self.pow_inv[starts]))
            start = end
        return np.concatenate(out) if out else np.empty(0, dtype=self.u64)

    def sketch(self, text):
        lines = text.splitlines()
        kept = [ln for ln in lines if ln.count(' ') >= 30 or not _CHROME_WORDS.search(ln)]
        text = text if len(kept) == len(lines) else '\n'.join(kept)
        t = unicodedata.normalize('NFKC', text)
        t = t.lower() if t.isascii() else t.replace('\u00ad', '').casefold()
        w = self._word_hashes(np.frombuffer(t.encode('utf-8', 'replace'), dtype=np.uint8))
        if len(w) < self.MIN_WORDS:
            return None
        m = len(w) - self.SHINGLE + 1
        acc = w[:m] * self.shingle_mult[0]
        for j in range(1, self.SHINGLE):
            acc += w[j:j + m] * self.shingle_mult[j]
        x = self._mix(acc)
        size = int(np.unique(x).size)
        sig = np.full(self.PERMUTATIONS, _MASK, dtype=self.u64)
        for i in range(0, len(x), 2048):
            y = x[i:i + 2048, None] * self.perm_a
            y += self.perm_b
            np.minimum(sig, y.min(axis=0), out=sig)
        return sig, size

    def band_keys(self, sig):
        rows = sig.reshape(self.BANDS, self.ROWS) * self.band_mult
        keys = self._mix(rows.sum(axis=1, dtype=self.u64))
        return list(enumerate(keys.view(np.int64).tolist()))
