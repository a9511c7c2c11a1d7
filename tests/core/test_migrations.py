"""The migrations at head build exactly the schema the models describe, on whichever
database the suite runs against (SQLite by default, PostgreSQL in CI)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.core.db import metadata
from app.core.migrations import head_revision, schema_is_compatible


def _diff(connection):
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True,
        "render_as_batch": connection.dialect.name == "sqlite"})
    return compare_metadata(context, metadata)


async def test_no_pending_autogenerate_diff(engine):
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], f"models and migrations disagree: {diff}"


async def test_database_is_at_head(engine):
    async with engine.connect() as connection:
        current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert current == head_revision()


def test_readiness_tolerates_a_newer_schema_but_not_an_older_one():
    head = head_revision()
    assert schema_is_compatible(head, head)
    assert schema_is_compatible("f00dfeedcafe", head)  # migrated by a newer release
    assert not schema_is_compatible(None, head)  # never migrated
