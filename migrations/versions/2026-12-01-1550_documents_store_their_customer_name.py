"""documents store their customer name

The `?q=` of opportunities, quotes and contracts matches their own text or their
customer's name. With the name on the customer only, the lists took the union of the
documents matching their own columns and those of every customer named like the term: a
common term (`trading`, 13,000 of 200,000 customers) cost ~120 ms over 200,000 contracts,
as the whole set of matching customers was computed before the newest-first page could be
read. Each document now stores `customer_name`, kept by the customers service (a rename
rewrites it in the same transaction; writers read it under a lock that conflicts with the
rename's), so its search is on one table, like leads and customers: PostgreSQL walks the
newest-first index filtering rows for a common term, or ORs the columns' indexes for a
rare one.

Filled from the customer here, then NOT NULL. On PostgreSQL the column gets what every
searched column has (app/search_indexes.py, app/core/search.py): the trigram index on
`lower(customer_name)` and the stored gram column `customer_name_grams` with its GIN
index, made as 4e5c3d51bde6 and 49e2abf08273 made them. The fill writes every row of the
three tables once, and the generated column rewrites each table once more.

Revision ID: c3a9e1f47b20
Revises: 8b1f0c2d7e41
Create Date: 2026-12-01 15:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3a9e1f47b20'
down_revision: str | Sequence[str] | None = '8b1f0c2d7e41'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENTS = ("opportunity", "quote", "contract")
# Customer.name's length.
NAME = sa.String(length=200)


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for table in DOCUMENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('customer_name', NAME, nullable=True))
        op.execute(f"UPDATE {table} SET customer_name = "
                   f"(SELECT name FROM customer WHERE customer.id = {table}.customer_id)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('customer_name', existing_type=NAME, nullable=False)
    if not _on_postgresql():
        return
    # The operator class by its schema, as 4e5c3d51bde6 explains.
    schema = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    for table in DOCUMENTS:
        # The column first: adding it rewrites the table, which would rebuild an index.
        op.execute(f"ALTER TABLE {table} ADD COLUMN customer_name_grams text[] "
                   "GENERATED ALWAYS AS (search_grams(lower(customer_name))) STORED")
        op.execute(f"CREATE INDEX ix_{table}_customer_name_grams ON {table} "
                   "USING gin (customer_name_grams)")
        op.execute(f"CREATE INDEX ix_{table}_customer_name_trgm ON {table} "
                   f'USING gin (lower(customer_name) "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    for table in DOCUMENTS:
        if _on_postgresql():
            # Dropping the gram column drops its index.
            op.execute(f"ALTER TABLE {table} DROP COLUMN customer_name_grams")
            op.drop_index(f"ix_{table}_customer_name_trgm", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('customer_name')
