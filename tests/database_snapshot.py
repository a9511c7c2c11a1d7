"""The database as it was before a test that commits for real, put back after it.

Ordinary tests roll back (tests/conftest.py). Concurrency tests cannot: their commands run
on connections of their own and commit. Instead of each of them listing the tables it wrote
to, the rows of every table in the metadata are read before the test and, after it:
changed rows are written back, rows the test added are deleted, rows it deleted come back.

Assumptions:
- Between tests the tables hold only a few rows (the migrations' seed rows, such as the
  audit seal, the audit checkpoint and the event sequencer's position; ordinary tests roll
  back and committing tests are undone), so reading them all before a test is cheap.
- Every table has a primary key, and a row read and written back compares equal.
- Nothing writes after the test: the servers, workers and sessions it started have ended
  (their fixtures depend on this one, so they are torn down first).
- Sequences are not rewound: ids taken by the test stay taken, as after a rollback.
- Columns outside the metadata (PostgreSQL's generated `*_grams` columns) are computed by
  the database again when a row comes back.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.models import metadata

Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class Snapshot:
    rows: dict[Table, Rows]

    @classmethod
    async def take(cls, engine: AsyncEngine) -> "Snapshot":
        async with engine.connect() as connection:
            return cls({table: await _rows(connection, table)
                        for table in metadata.sorted_tables})

    async def restore(self, engine: AsyncEngine) -> None:
        tables = metadata.sorted_tables  # parents before children
        async with engine.begin() as connection:
            now = {table: await _rows(connection, table, keys=list(self.rows[table]))
                   for table in tables}
            # Changed rows first: a changed row may point at a row the test added.
            for table in tables:
                for key, row in self.rows[table].items():
                    if key in now[table] and now[table][key] != row:
                        await connection.execute(
                            update(table).where(_key(table) == key).values(row))
            for table in reversed(tables):
                kept = list(self.rows[table])
                await connection.execute(
                    delete(table).where(_key(table).not_in(kept)) if kept else delete(table))
            for table in tables:
                gone = [row for key, row in self.rows[table].items() if key not in now[table]]
                if gone:
                    await connection.execute(insert(table), gone)


def _key(table: Table) -> Any:
    return tuple_(*table.primary_key.columns)


async def _rows(connection: AsyncConnection, table: Table, *,
                keys: list[Key] | None = None) -> Rows:
    query = select(table)
    if keys is not None:
        if not keys:
            return {}
        query = query.where(_key(table).in_(keys))
    columns = [column.name for column in table.primary_key.columns]
    return {tuple(row[name] for name in columns): dict(row)
            for row in (await connection.execute(query)).mappings()}
