"""The migrations at head build exactly the schema the models describe, on whichever
database the suite runs against (SQLite by default, PostgreSQL in CI)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Enum, text

from app.core.db import metadata
from app.core.migrations import head_revision, schema_is_compatible
from app.core.search import outside_the_models


def _diff(connection):
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True,
        "render_as_batch": connection.dialect.name == "sqlite",
        # The search's gram columns are PostgreSQL's, made by the migration alone.
        "include_object": outside_the_models})
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


def _enum_columns() -> list[tuple[str, str, Enum]]:
    return [(table.name, column.name, column.type) for table in metadata.tables.values()
            for column in table.columns if isinstance(column.type, Enum)]


def test_an_enum_type_name_means_one_set_of_values():
    """PostgreSQL keeps one enum type per name, so two enums of one name make one column
    take the other's type (the deliveries' status was created with the webhook
    deliveries' type this way, and refused every planned delivery)."""
    values: dict[str, set[tuple[str, ...]]] = {}
    for _table, _column, enum in _enum_columns():
        values.setdefault(enum.name or "", set()).add(tuple(enum.enums))
    assert {name: found for name, found in values.items() if len(found) > 1} == {}


async def test_enum_columns_hold_the_values_of_their_models(engine):
    async with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            pytest.skip("SQLite stores enums as strings")
        wrong = {}
        for table, column, enum in _enum_columns():
            labels = (await connection.execute(text(
                "SELECT e.enumlabel FROM information_schema.columns c "
                "JOIN pg_type t ON t.typname = c.udt_name "
                "JOIN pg_enum e ON e.enumtypid = t.oid "
                "WHERE c.table_name = :table AND c.column_name = :column "
                "ORDER BY e.enumsortorder"), {"table": table, "column": column})).scalars()
            if list(labels) != list(enum.enums):
                wrong[f"{table}.{column}"] = list(labels)
    assert wrong == {}
