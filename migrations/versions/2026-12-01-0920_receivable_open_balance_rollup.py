"""receivable open balance rollup

`receivable_open_balance`: what is still owed (open and partially paid receivables), summed
per department, rep and due date, kept by the commands that move balances
(app/receivables/open_balances.py). Aging by rep or department sums it instead of every
open receivable: at 1,000,000 receivables it read ~140,000 index entries for a department,
now a row per rep and due date. Filled here from the receivables issued so far.

Revision ID: 82c8adcba035
Revises: c3082887d807
Create Date: 2026-12-01 09:20:13.363211+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '82c8adcba035'
down_revision: str | Sequence[str] | None = 'c3082887d807'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('receivable_open_balance',
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('receivables', sa.Integer(), nullable=False),
    sa.Column('balance_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('receivables >= 0', name=op.f('ck_receivable_open_balance_receivables_not_negative')),
    sa.PrimaryKeyConstraint('department_id', 'owner_id', 'due_date', name=op.f('pk_receivable_open_balance'))
    )
    op.execute(
        "INSERT INTO receivable_open_balance (department_id, owner_id, due_date, receivables, "
        "balance_base) "
        "SELECT department_id, owner_id, due_date, count(*), sum(balance_base) "
        "FROM receivable WHERE status IN ('open', 'partially_paid') "
        "GROUP BY department_id, owner_id, due_date")


def downgrade() -> None:
    op.drop_table('receivable_open_balance')
