"""hardening: per-URL failure state, listing sizes, resource flags, admin sessions, login throttle

- ``http_state.error_kind`` / ``error`` / ``failures``: the last failure of a URL and how many
  runs in a row it failed, so validators are kept per URL and a document that keeps failing the
  same way is recognised instead of re-fetched and re-reported every run;
- ``run_sources.listed``: how many items a source's listings named in a run, so a listing that
  suddenly shrinks is treated as suspect and never marks resources gone;
- ``resources.flags``: conditions a reader should know of (e.g. ``no-text-layer``);
- ``admin_sessions``: server-side admin sessions (revoked at logout and password change);
- ``login_throttle``: failed logins per client and per account (growing delay, then a lock).
"""

import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    with op.batch_alter_table('http_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('run_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed', sa.Integer(), nullable=True))
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))

    create_table('admin_sessions', '''
        id              str(64)
        user            text
        credential_tag  str(64)
        created_at      datetime
        last_seen_at    datetime
        expires_at      datetime
        revoked_at      datetime  null
        client          text      null
    ''', sa.PrimaryKeyConstraint('id'))
    create_table('login_throttle', '''
        key               str(300)
        failures          int
        first_failure_at  datetime  null
        last_failure_at   datetime  null
        locked_until      datetime  null
    ''', sa.PrimaryKeyConstraint('key'))


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.drop_table('admin_sessions')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('flags')
    with op.batch_alter_table('run_sources', schema=None) as batch_op:
        batch_op.drop_column('listed')
    with op.batch_alter_table('http_state', schema=None) as batch_op:
        batch_op.drop_column('failures')
        batch_op.drop_column('error')
        batch_op.drop_column('error_kind')
