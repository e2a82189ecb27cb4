"""federation: structured facts of a resource, and the record of deleted resources

- ``resources.deadline``: when a funding call closes (UTC; a call that gives only a day closes
  at the end of that day in Brussels time); ``resources.event_start`` / ``event_end``: when an
  event takes place. Found in schema.org data, feeds, catalogue records and the text.
- ``deleted_resources``: a resource id that no longer exists (deleted, or merged into
  ``replaced_by``) and when, so that the portal's OAI-PMH provider can report deleted records
  and harvesters of the portal learn of deletions incrementally. Kept, never pruned: the
  provider declares ``deletedRecord`` persistent.
"""

import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import columns, create_table

revision = '0008'
down_revision = '0007'


def upgrade() -> None:
    with op.batch_alter_table('resources') as batch:
        for column in columns('''
            deadline     datetime  null
            event_start  datetime  null
            event_end    datetime  null
        '''):
            batch.add_column(column)
    op.create_index('ix_resources_deadline', 'resources', ['deadline'])
    op.create_index('ix_resources_event_start', 'resources', ['event_start'])
    op.create_index('ix_resources_modified_at', 'resources', ['modified_at'])
    create_table('deleted_resources', '''
        id           str(40)
        deleted_at   datetime
        replaced_by  str(40)   null
    ''', sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_deleted_resources_deleted_at', 'deleted_resources', ['deleted_at'])


def downgrade() -> None:
    op.drop_index('ix_deleted_resources_deleted_at', table_name='deleted_resources')
    op.drop_table('deleted_resources')
    op.drop_index('ix_resources_modified_at', table_name='resources')
    op.drop_index('ix_resources_event_start', table_name='resources')
    op.drop_index('ix_resources_deadline', table_name='resources')
    with op.batch_alter_table('resources') as batch:
        for name in ('event_end', 'event_start', 'deadline'):
            batch.drop_column(name)
