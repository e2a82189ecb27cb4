"""initial catalogue schema (written by Alembic's autogenerate, columns then set out one a line)"""

import sqlalchemy as sa
from alembic import op

from indexer.migrations.tables import create_table

revision = '0001'
down_revision = None


def upgrade() -> None:
    create_table('http_state', '''
        url            text
        source_id      str(64)   null
        instance_url   text      null
        etag           text      null
        last_modified  text      null
        status         int       null
        checked_at     datetime  null
    ''', sa.PrimaryKeyConstraint('url'))
    create_table('outbox', '''
        id           int       auto
        resource_id  str(40)
        op           str(8)
        created_at   datetime
    ''', sa.PrimaryKeyConstraint('id'))
    create_table('resources', '''
        id            str(40)
        title         text
        url           text
        summary       text
        body          text
        publisher     text      null
        authors       json
        published     datetime  null
        updated       datetime  null
        language      str(8)    null
        type          str(32)
        themes        json
        places        json
        format        str(16)
        licence       text      null
        content_hash  str(64)
        harvested_at  datetime  null
        indexed_at    datetime  null
        modified_at   datetime  null
    ''', sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_content_hash'), ['content_hash'], unique=False)

    create_table('runs', '''
        id           int       auto
        started_at   datetime
        finished_at  datetime  null
        status       str(16)
        trigger      str(16)
        host         text      null
        pid          int       null
        message      text      null
    ''', sa.PrimaryKeyConstraint('id'))
    create_table('source_health', '''
        source_id             str(64)
        state                 str(16)
        last_run_id           int       null
        last_run_at           datetime  null
        last_success_at       datetime  null
        last_error_at         datetime  null
        last_error            text      null
        consecutive_failures  int
        retry_not_before      datetime  null
        next_run_at           datetime  null
    ''', sa.PrimaryKeyConstraint('source_id'))
    create_table('source_locks', '''
        source_id     str(64)
        owner         text
        run_id        int       null
        acquired_at   datetime
        heartbeat_at  datetime
    ''', sa.PrimaryKeyConstraint('source_id'))
    create_table('sources', '''
        id          str(64)
        name        text
        type        str(16)
        url         text      null
        publisher   text      null
        country     str(2)    null
        city        text      null
        enabled     int
        config      json      null
        updated_at  datetime  null
    ''', sa.PrimaryKeyConstraint('id'))
    create_table('tasks', '''
        id            int       auto
        kind          str(16)
        args          json
        status        str(16)
        result        json      null
        requested_by  text      null
        created_at    datetime
        started_at    datetime  null
        finished_at   datetime  null
    ''', sa.PrimaryKeyConstraint('id'))
    create_table('instances', '''
        id            int       auto
        resource_id   str(40)
        source_id     str(64)
        url           text
        guid          text      null
        content_hash  str(64)   null
        first_seen    datetime  null
        last_seen     datetime  null
        status        str(8)
        missed_runs   int
    ''', sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_id', 'url', name='uq_instance_source_url'))
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_instances_source_guid', ['source_id', 'guid'], unique=False)
        batch_op.create_index('ix_instances_url', ['url'], unique=False)

    create_table('run_errors', '''
        id         int       auto
        run_id     int
        source_id  str(64)
        url        text      null
        kind       str(32)
        message    text
        fatal      int
        at         datetime
    ''', sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('run_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_errors_run_id'), ['run_id'], unique=False)

    create_table('run_sources', '''
        run_id       int
        source_id    str(64)
        status       str(16)
        started_at   datetime  null
        finished_at  datetime  null
        added        int
        updated      int
        unchanged    int
        failed       int
        skipped      int
        merged       int
        requests     int
        message      text      null
    ''', sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id', 'source_id'))


def downgrade() -> None:
    op.drop_table('run_sources')
    with op.batch_alter_table('run_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_errors_run_id'))

    op.drop_table('run_errors')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_url')
        batch_op.drop_index('ix_instances_source_guid')
        batch_op.drop_index(batch_op.f('ix_instances_resource_id'))

    op.drop_table('instances')
    op.drop_table('tasks')
    op.drop_table('sources')
    op.drop_table('source_locks')
    op.drop_table('source_health')
    op.drop_table('runs')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_content_hash'))

    op.drop_table('resources')
    op.drop_table('outbox')
    op.drop_table('http_state')
