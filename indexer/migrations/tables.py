"""Tables for the revision files, written one column a line.

A revision creates a table with :func:`create_table` and a text of its columns::

    create_table('outbox', '''
        id           int       auto
        resource_id  str(40)
        created_at   datetime  null
    ''', sa.PrimaryKeyConstraint('id'))

A line is the column's name, its type (``text``, ``str(N)`` for at most N characters, ``int``,
``smallint``, ``bigint``, ``float``, ``datetime``, ``json``, ``bytes``) and any of ``null``
(the column may be empty; without it the column is NOT NULL) and ``auto`` (autoincrement).

Frozen, like the revisions that use it: what a line means never changes (a new need gets a new
word), or an old revision would create another schema than the one it created.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

_TYPES = {'text': sa.Text, 'int': sa.Integer, 'smallint': sa.SmallInteger,
          'bigint': sa.BigInteger, 'float': sa.Float, 'datetime': sa.DateTime, 'json': sa.JSON,
          'bytes': sa.LargeBinary}
_STRING = re.compile(r'str\((\d+)\)')


def columns(spec: str) -> list[sa.Column]:
    """The columns one a line of ``spec`` names, in its order."""
    out = []
    for line in spec.strip().splitlines():
        name, kind, *words = line.split()
        unknown = set(words) - {'null', 'auto'}
        if unknown:
            raise ValueError(f'column {name}: unknown words {sorted(unknown)}')
        string = _STRING.fullmatch(kind)
        type_ = sa.String(length=int(string.group(1))) if string else _TYPES[kind]()
        extra = {'autoincrement': True} if 'auto' in words else {}
        out.append(sa.Column(name, type_, nullable='null' in words, **extra))
    return out


def create_table(name: str, spec: str, *constraints, **kw) -> None:
    """``op.create_table`` for the columns of ``spec`` (see above) and the table
    ``constraints`` (primary key, foreign keys, unique), with the dialect options ``kw``."""
    op.create_table(name, *columns(spec), *constraints, **kw)
