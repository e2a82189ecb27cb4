"""embeddings: stored vectors of each resource's passage, per model

- ``embeddings``: one vector per resource and embedding model (``model`` is the embedder's
  stable name), with the fingerprint of the passage text it was computed from, the resource's
  ``modified_at`` when it was computed (a resource modified since is checked again), its
  language (for language centering) and when the search backend last took it
  (``published_at``; NULL: still to be sent). Rows go with their resource.
- ``embedding_means``: per model and language (``''``: every language) the sum and count of
  the stored vectors, so language means cost nothing to read.
"""

import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0006'
down_revision = '0005'


def upgrade() -> None:
    create_table('embeddings', '''
        resource_id           str(40)
        model                 str(200)
        text_hash             str(64)
        language              str(8)     null
        resource_modified_at  datetime   null
        vector                bytes
        created_at            datetime
        published_at          datetime   null
    ''', sa.PrimaryKeyConstraint('resource_id', 'model'),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'))
    op.create_index('ix_embeddings_model_published', 'embeddings', ['model', 'published_at'])
    create_table('embedding_means', '''
        model     str(200)
        language  str(8)
        count     int
        sums      bytes
    ''', sa.PrimaryKeyConstraint('model', 'language'))


def downgrade() -> None:
    op.drop_table('embedding_means')
    op.drop_index('ix_embeddings_model_published', table_name='embeddings')
    op.drop_table('embeddings')
