"""search stored gram columns

The gram indexes of 4e5c3d51bde6 were expression indexes on `search_grams(lower(column))`,
and PostgreSQL re-runs an indexed expression wherever it checks a row again: the recheck
of a bitmap scan, and the filter of the newest-first read it picks for a common term. The
PL/pgSQL function costs ~30 µs a row, so over 1,000,000 leads `华为` (25,000 matches) took
452 ms and `港城机械` (3,125 matches, two columns) 341 ms. Each searched column now gets a
stored generated column `<column>_grams` holding those grams, indexed in place of the
expression: the recheck and the filter compare a stored array (bench/README.md).

PostgreSQL only, like the indexes (SQLite keeps the plain LIKE), so the columns are not in
the models; app.core.search.outside_the_models keeps autogenerate from dropping them. A
generated column costs no write-path code: PostgreSQL keeps it. Adding them rewrites each
table once (one ALTER TABLE per table), computing `search_grams` for every value: about a
minute per million rows of two searched columns, plus the GIN builds.

Revision ID: 49e2abf08273
Revises: 6c5170b43e7b
Create Date: 2026-12-01 13:09:33.305194+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '49e2abf08273'
down_revision: str | Sequence[str] | None = '6c5170b43e7b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 4e5c3d51bde6 (app/search_indexes.py lists the same columns).
SEARCHED = {
    "customer": ("name",),
    "lead": ("company", "contact_name"),
    "opportunity": ("title",),
    "quote": ("number", "title"),
    "contract": ("number", "title"),
    "complaint": ("number", "title", "description"),
    "customer_visit": ("number", "purpose", "place"),
    "product": ("name", "sku"),
}


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _on_postgresql():
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            op.execute(f"DROP INDEX ix_{table}_{column}_grams")
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ADD COLUMN {column}_grams text[] "
            f"GENERATED ALWAYS AS (search_grams(lower({column}))) STORED"
            for column in columns))
        for column in columns:
            op.execute(f"CREATE INDEX ix_{table}_{column}_grams ON {table} "
                       f"USING gin ({column}_grams)")


def downgrade() -> None:
    if not _on_postgresql():
        return
    for table, columns in SEARCHED.items():
        # Dropping a column drops its index.
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"DROP COLUMN {column}_grams" for column in columns))
        for column in columns:
            op.execute(f"CREATE INDEX ix_{table}_{column}_grams ON {table} "
                       f"USING gin (search_grams(lower({column})))")
