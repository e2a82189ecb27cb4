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

The signature code is 0002's frozen scheme (loaded from that revision's file, never from
:mod:`indexer.neardup`) with this revision's constants and additions; ``tests/test_merges.py``
compares the sketches an upgraded catalogue stores with those the running code computes.
"""

import importlib
import re

import numpy as np
import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0004'
down_revision = '0003'


def upgrade() -> None:
    create_table('merges', '''
        instance_id  int
        reason       str(8)
        matched_url  text      null
        resemblance  float     null
        containment  float     null
        merged_at    datetime
    ''', sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id'))
    create_table('merge_splits', '''
        id               int       auto
        url              text
        source_id        str(64)
        resource_id      str(40)
        new_resource_id  str(40)
        split_by         text      null
        split_at         datetime
    ''', sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_merge_splits_url', 'merge_splits', ['url'], unique=False)
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shingles', sa.Integer(), nullable=True))
    _recompute(op.get_bind(), _Scheme())


def downgrade() -> None:
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('shingles')
    op.drop_index('ix_merge_splits_url', table_name='merge_splits')
    op.drop_table('merge_splits')
    op.drop_table('merges')
    # the signatures stay three-word ones: a downgraded catalogue still finds the copies
    # that are closest, and `ccp db upgrade` recomputes them again


# -- recomputing every sketch ----------------------------------------------------------------------
_resources = sa.table('resources', sa.column('id', sa.String), sa.column('minhash', sa.LargeBinary),
                      sa.column('shingles', sa.Integer))
_0002 = importlib.import_module('indexer.migrations.versions.0002_near_duplicate_signatures')


def _recompute(bind, scheme, batch: int = 500) -> None:
    """Every resource's sketch and band keys computed again with ``scheme`` (a later
    revision that changes the scheme may call this with its own)."""
    bind.execute(sa.delete(_0002._bands))
    set_sketch = (sa.update(_resources).where(_resources.c.id == sa.bindparam('rid'))
                  .values(minhash=sa.bindparam('mh'), shingles=sa.bindparam('n')))
    for rows in _0002._batches(bind, batch):
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
            bind.execute(sa.insert(_0002._bands), bands)


# -- frozen scheme at revision 0004: 0002's code (word hashing, MinHash, band keys) with chrome
#    lines left out, 3-word shingles and their count, 64 bands x 2 rows ----------------------------
# lines of page chrome left out before hashing (short lines with one of these words); a frozen
# copy of indexer.neardup._CHROME_WORDS as of this revision (the duplicates report lists it
# beside neardup.py; that pair is expected)
_CHROME_WORDS = re.compile(
    r"cookie|newsletter|subscri|abonn|paywall|consent|zustimm|einwillig|"
    r"toestemming|suostum|souhlas|zgod[ay]|sutikim|consentim|consenso|"
    r"share this|partager|compartir|condividi|teilen|delen|jaa |sdílet|udostępnij|"
    r"first published|publié initialement|publicado originalmente|pubblicato originariamente|"
    r"zuerst erschienen|eerder verschenen|julkaistu alun perin|advertis|sponsored|"
    r"all rights reserved|tous droits réservés|todos los derechos|alle rechte",
    re.IGNORECASE)


class _Scheme(_0002._Scheme):
    SHINGLE, PERMUTATIONS, BANDS, ROWS, MIN_WORDS = 3, 128, 64, 2, 50

    def sketch(self, text):
        lines = text.splitlines()
        kept = [ln for ln in lines if ln.count(' ') >= 30 or not _CHROME_WORDS.search(ln)]
        text = text if len(kept) == len(lines) else '\n'.join(kept)
        x = self._shingles(text)
        if x is None:
            return None
        return self._minhash(x), int(np.unique(x).size)
