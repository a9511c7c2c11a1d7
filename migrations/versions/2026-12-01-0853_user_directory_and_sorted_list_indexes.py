"""User directory and sorted list indexes.

`app_user` remembers each caller's name from their token (written on writes, when new,
changed or stale), so reads can show names beside owner and creator ids.

The lists sort by a field the client picks, newest first by default, with the id as
tiebreaker: each sort is a keyset range read over (scope, key, id). These indexes serve the
default sort under each visibility scope (owner, department, company) and the company-wide
sorts a screen uses most (amounts, due and close dates, customer names); see
app/list_indexes.py.

Revision ID: c0de1affe7fd
Revises: 5e0c1f7a9b21
Create Date: 2026-12-01 08:53:40.070526+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c0de1affe7fd'
down_revision: str | Sequence[str] | None = '5e0c1f7a9b21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTED_TABLES = ("lead", "opportunity", "quote", "contract", "customer", "sales_order",
                 "delivery", "receivable", "payment")
OTHER_KEYS = (("opportunity", "expected_close_date"), ("opportunity", "expected_amount"),
              ("quote", "total"), ("contract", "total"), ("sales_order", "total"),
              ("customer", "name"), ("receivable", "due_date"), ("receivable", "amount"),
              ("payment", "received_on"), ("payment", "amount"))


def _indexes() -> list[tuple[str, str, list[str]]]:
    found = []
    for table in SORTED_TABLES:
        for columns in (["created_at", "id"], ["owner_id", "created_at", "id"],
                        ["department_id", "created_at", "id"]):
            found.append((f"ix_{table}_{'_'.join(columns)}", table, columns))
    for table, key in OTHER_KEYS:
        found.append((f"ix_{table}_{key}_id", table, [key, "id"]))
    return found


def upgrade() -> None:
    op.create_table(
        'app_user',
        sa.Column('sub', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sub', name=op.f('pk_app_user')),
    )
    for name, table, columns in _indexes():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_indexes()):
        op.drop_index(name, table_name=table)
    op.drop_table('app_user')
