"""hardening: per-URL failure state, listing sizes, resource flags, admin sessions, login throttle

- ``http_state.error_kind`` / ``error`` / ``failures``: the last failure of a URL and how many
  runs in a row it failed, so validators are kept per URL and a document that keeps failing the
  same way is recognised instead of re-fetched and re-reported every run;
- ``run_sources.listed``: how many items a source's listings named in a run, so a listing that
  suddenly shrinks is treated as suspect and never marks resources gone;
- ``resources.flags``: conditions a reader should know of (e.g. ``no-text-layer``);
- ``admin_sessions``: server-side admin sessions (revoked at logout and password change);
- ``login_throttle``: failed logins per client and per account (growing delay, then a lock).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:45:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


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

    op.create_table(
        'admin_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user', sa.Text(), nullable=False),
        sa.Column('credential_tag', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('client', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failure_at', sa.DateTime(), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


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
