"""near-duplicate signatures

A MinHash signature per resource (``resources.minhash``) and its LSH band keys
(``resource_bands``), computed here for every resource already in the catalogue so that
new documents are matched against them from the first harvest after the upgrade.

The signature code below is a frozen copy of :mod:`indexer.neardup` as of this revision
(a migration must not change meaning when the application code changes later; a later
change of the scheme ships its own migration that recomputes everything).
``tests/test_neardup.py`` checks that an upgraded catalogue holds exactly the signatures and
band keys the running code computes.
"""

import unicodedata

import numpy as np
import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0002'
down_revision = '0001'


def upgrade() -> None:
    create_table('resource_bands', '''
        band         smallint
        key          bigint
        resource_id  str(40)
    ''', sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('band', 'key', 'resource_id'), sqlite_with_rowid=False)
    with op.batch_alter_table('resource_bands', schema=None) as batch_op:
        batch_op.create_index('ix_resource_bands_resource_id', ['resource_id'], unique=False)

    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minhash', sa.LargeBinary(), nullable=True))

    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('minhash')

    with op.batch_alter_table('resource_bands', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_bands_resource_id')

    op.drop_table('resource_bands')


# -- backfill ------------------------------------------------------------------------------------
_resources = sa.table('resources', sa.column('id', sa.String), sa.column('body', sa.Text),
                      sa.column('minhash', sa.LargeBinary))
_bands = sa.table('resource_bands', sa.column('band', sa.SmallInteger),
                  sa.column('key', sa.BigInteger), sa.column('resource_id', sa.String))


def _backfill(bind, batch: int = 500) -> None:
    scheme = _Scheme()
    set_minhash = (sa.update(_resources).where(_resources.c.id == sa.bindparam('rid'))
                   .values(minhash=sa.bindparam('mh')))
    for rows in _batches(bind, batch):
        sigs, bands = [], []
        for rid, body in rows:
            sig = scheme.signature(body or '')
            if sig is None:
                continue
            sigs.append({'rid': rid, 'mh': sig.astype('<u8').tobytes()})
            bands += [{'band': b, 'key': k, 'resource_id': rid}
                      for b, k in scheme.band_keys(sig)]
        if sigs:
            bind.execute(set_minhash, sigs)
            bind.execute(sa.insert(_bands), bands)


def _batches(bind, batch: int):
    """The (id, body) rows of every resource, ``batch`` at a time in id order (each batch is
    read in full before it is yielded, so the caller may update those rows). Also used by 0004."""
    last = ''
    while True:
        rows = bind.execute(sa.select(_resources.c.id, _resources.c.body)
                            .where(_resources.c.id > last).order_by(_resources.c.id)
                            .limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


# -- frozen copy of indexer.neardup at revision 0002 (5-word shingles, 128 permutations,
#    16 bands x 8 rows, at least 50 words); built only when the migration runs -----------------
# Deliberately duplicated, not imported: this revision must compute the signatures it
# computed when it was written, whatever indexer.neardup becomes (the duplicates report
# lists this copy beside neardup.py; that pair is expected). Revision 0004 builds its scheme
# on this class (other constants, chrome lines left out, the shingle count): nothing here may
# change what either revision computes.
_MASK = (1 << 64) - 1


class _Scheme:
    SHINGLE, PERMUTATIONS, BANDS, ROWS, MIN_WORDS = 5, 128, 16, 8, 50
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

    def signature(self, text):
        x = self._shingles(text)
        return None if x is None else self._minhash(x)

    def _shingles(self, text):
        return self._shingle_hashes(self._normal_bytes(text))

    def _normal_bytes(self, text):
        t = unicodedata.normalize('NFKC', text)
        t = t.lower() if t.isascii() else t.replace('\u00ad', '').casefold()
        return np.frombuffer(t.encode('utf-8', 'replace'), dtype=np.uint8)

    def _shingle_hashes(self, b):
        w = self._word_hashes(b)
        if len(w) < self.MIN_WORDS:
            return None
        m = len(w) - self.SHINGLE + 1
        acc = w[:m] * self.shingle_mult[0]
        for j in range(1, self.SHINGLE):
            acc += w[j:j + m] * self.shingle_mult[j]
        return self._mix(acc)

    def _minhash(self, x):
        sig = np.full(self.PERMUTATIONS, _MASK, dtype=self.u64)
        for i in range(0, len(x), 2048):
            y = x[i:i + 2048, None] * self.perm_a
            y += self.perm_b
            np.minimum(sig, y.min(axis=0), out=sig)
        return sig

    def band_keys(self, sig):
        rows = sig.reshape(self.BANDS, self.ROWS) * self.band_mult
        keys = self._mix(rows.sum(axis=1, dtype=self.u64))
        return list(enumerate(keys.view(np.int64).tolist()))
