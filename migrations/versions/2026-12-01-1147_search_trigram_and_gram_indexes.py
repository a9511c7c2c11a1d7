"""search trigram and gram indexes

The lists' `?q=` is `lower(column) LIKE '%term%'`, a scan of the whole table for a rare or
missing term (348 ms over 1,000,000 leads). On PostgreSQL each searched column gets two
GIN indexes (app/core/search.py explains the choice, app/search_indexes.py lists them):

- `gin_trgm_ops` on lower(column): pg_trgm serves the LIKE of an ASCII term of 3+
  characters. `CREATE EXTENSION pg_trgm` needs a superuser or, since PostgreSQL 13 (it is
  a trusted extension), a user with CREATE on the database; an operator whose migration
  user has neither creates it once beforehand (deploy/README.md).
- `search_grams(lower(column))`: every two-character substring plus each non-ASCII
  character alone. pg_trgm has no trigram in a one- or two-character term such as 华为 or
  张, and under LC_CTYPE `C` it drops CJK characters altogether; the gram index serves
  those terms in any locale. An expression index rather than a column the services keep:
  nothing to backfill or forget on a write path, PostgreSQL keeps it. `search_grams` is
  IMMUTABLE (its result depends on its argument only) and uses built-ins only, so a dump
  restores it.

SQLite keeps the plain LIKE: nothing to do there.

Revision ID: 4e5c3d51bde6
Revises: 319337e80913
Create Date: 2026-12-01 11:47:51.855004+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4e5c3d51bde6'
down_revision: str | Sequence[str] | None = '319337e80913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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

# Must build exactly what app.core.search.grams_of() builds for a value.
SEARCH_GRAMS = """
CREATE FUNCTION search_grams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    grams text[] := '{}';
    n integer := length(value);
BEGIN
    FOR i IN 1 .. n - 1 LOOP
        grams := grams || substr(value, i, 2);
    END LOOP;
    FOR i IN 1 .. n LOOP
        IF ascii(substr(value, i, 1)) > 127 THEN
            grams := grams || substr(value, i, 1);
        END IF;
    END LOOP;
    RETURN grams;
END
$$
"""


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _on_postgresql():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The operator class by its schema: the extension lives where it was first created,
    # which need not be on the search_path the migration runs with.
    schema = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    op.execute(SEARCH_GRAMS)
    for table, columns in SEARCHED.items():
        for column in columns:
            op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} "
                       f'USING gin (lower({column}) "{schema}".gin_trgm_ops)')
            op.execute(f"CREATE INDEX ix_{table}_{column}_grams ON {table} "
                       f"USING gin (search_grams(lower({column})))")


def downgrade() -> None:
    if not _on_postgresql():
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_grams", table_name=table)
            op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    op.execute("DROP FUNCTION search_grams(text)")
    # pg_trgm stays: other objects of the database may have come to use it.
