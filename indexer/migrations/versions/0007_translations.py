"""alternates: the translations a resource's page declares (hreflang)

- ``alternates``: per resource, the canonical URL and language of each translation its page
  lists with ``<link rel="alternate" hreflang>``; linked both ways when a resource is shown
  (``indexer/catalogue/translations.py``), never merged. Rows go with their resource.
"""

import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0007'
down_revision = '0006'


def upgrade() -> None:
    create_table('alternates', '''
        resource_id  str(40)
        url          text
        language     str(8)
    ''', sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('resource_id', 'url'))
    op.create_index('ix_alternates_url', 'alternates', ['url'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alternates_url', table_name='alternates')
    op.drop_table('alternates')
