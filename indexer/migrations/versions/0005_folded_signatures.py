"""near-duplicate signatures over words without diacritics

Every signature, shingle count and LSH band key is recomputed with words compared without
diacritics (NFKD, combining marks dropped, ``ł đ ø ħ ı ŀ ŧ`` as their base letters): a PDF set
in a font that lacks "ė" or "ą" prints "e" and "a", and its copy on a web page must still
shingle alike. No table or column changes.

The signature code is 0004's frozen scheme (loaded from that revision's file, never from
:mod:`indexer.neardup`) with this revision's word normalisation. ``tests/test_merges.py``
checks that an upgraded catalogue holds exactly the sketches and band keys the running code
computes.
"""

import importlib
import re
import unicodedata

import numpy as np
from alembic import op

revision = '0005'
down_revision = '0004'

_0004 = importlib.import_module('indexer.migrations.versions.0004_merge_reasons')


def upgrade() -> None:
    _0004._recompute(op.get_bind(), _Scheme())


def downgrade() -> None:
    # a downgraded catalogue compares like with like: 0004's signatures again
    _0004._recompute(op.get_bind(), _0004._Scheme())


# -- frozen scheme at revision 0005: 0004's with folded words -------------------------------------
_FOLD = str.maketrans({'ł': 'l', 'đ': 'd', 'ø': 'o', 'ħ': 'h', 'ı': 'i', 'ŀ': 'l', 'ŧ': 't'})
_FOLD_CHARS = re.compile('[łđøħıŀŧ]')


class _Scheme(_0004._Scheme):
    def _normal_bytes(self, text):
        if text.isascii():
            return np.frombuffer(text.lower().encode('ascii'), dtype=np.uint8)
        t = unicodedata.normalize('NFKD', text).replace('\u00ad', '').casefold()
        if _FOLD_CHARS.search(t):
            t = t.translate(_FOLD)
        b = np.frombuffer(t.encode('utf-8', 'replace'), dtype=np.uint8)
        lead = np.flatnonzero((b[:-1] == 0xCC) | ((b[:-1] == 0xCD) & (b[1:] < 0xB0)))
        if lead.size:
            keep = np.ones(len(b), dtype=bool)
            keep[lead] = keep[lead + 1] = False
            b = b[keep]
        return b
