"""The database as it was before a test that commits for real, put back after it.

Ordinary tests roll back (tests/conftest.py). Concurrency tests cannot: their commands run
on connections of their own and commit. Instead of each of them listing the tables it wrote
to, the rows of every table in the metadata are read before the test (one statement counts
them all; only tables holding rows are read) and, after it, changed rows are written back,
rows the test added are deleted and rows it deleted come back.

Assumptions:
- Between tests the tables hold only a few rows (the migrations' seed rows, such as the
  audit seal, the audit checkpoint and the event sequencer's position; ordinary tests roll
  back and committing tests are undone), so reading them before a test is cheap.
- Every table has a primary key, and a row read and written back compares equal.
- Nothing writes after the test: the servers, workers and sessions it started have ended
  (their fixtures depend on this one, so they are torn down first).
- Sequences are not rewound: ids taken by the test stay taken, as after a rollback.
- Columns outside the metadata (PostgreSQL's generated `*_grams` columns) are computed by
  the database again when a row comes back.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.models import metadata

Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]
TABLES = metadata.sorted_tables  # parents before children


@dataclass(frozen=True)
class Snapshot:
    rows: dict[Table, Rows]

    @classmethod
    async def take(cls, engine: AsyncEngine) -> "Snapshot":
        async with engine.connect() as connection:
            counts = await _counts(connection)
            return cls({table: await _rows(connection, table) if counts[table] else {}
                        for table in TABLES})

    async def restore(self, engine: AsyncEngine) -> None:
        async with engine.begin() as connection:
            counts = await _counts(connection)
            kept = {table: await _rows(connection, table, keys=list(self.rows[table]))
                    for table in TABLES if self.rows[table]}
            # Changed rows first: a changed row may point at a row the test added.
            for table, rows in kept.items():
                for key, row in rows.items():
                    if row != self.rows[table][key]:
                        await connection.execute(update(table).where(_key(table) == key)
                                                 .values(self.rows[table][key]))
            for table in reversed(TABLES):
                if counts[table] > len(kept.get(table, {})):  # rows the test added
                    before = list(self.rows[table])
                    await connection.execute(delete(table).where(_key(table).not_in(before))
                                             if before else delete(table))
            for table in TABLES:
                gone = [row for key, row in self.rows[table].items()
                        if key not in kept.get(table, {})]
                if gone:
                    await connection.execute(insert(table), gone)


def _key(table: Table) -> Any:
    return tuple_(*table.primary_key.columns)


async def _counts(connection: AsyncConnection) -> dict[Table, int]:
    """Every table's row count, in one statement (one round trip, not one per table)."""
    counts = (await connection.execute(select(*(
        select(func.count()).select_from(table).scalar_subquery() for table in TABLES)))).one()
    return dict(zip(TABLES, counts, strict=True))


async def _rows(connection: AsyncConnection, table: Table, *,
                keys: list[Key] | None = None) -> Rows:
    query = select(table) if keys is None else select(table).where(_key(table).in_(keys))
    columns = [column.name for column in table.primary_key.columns]
    return {tuple(row[name] for name in columns): dict(row)
            for row in (await connection.execute(query)).mappings()}
