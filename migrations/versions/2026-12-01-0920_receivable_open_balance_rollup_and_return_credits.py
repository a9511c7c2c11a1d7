"""receivable open balance rollup and return credits

`receivable_open_balance`: what is still owed (open and partially paid receivables), summed
per department, rep and due date, kept by the commands that move balances
(app/receivables/open_balances.py). Aging by rep or department sums it instead of every
open receivable: at 1,000,000 receivables it read ~140,000 index entries for a department,
now a row per rep and due date. Filled here from the receivables issued so far.

A delivery return now credits the delivery's receivable: `delivery_return` keeps the
receivable, its credit note, what was credited and what is to refund. Returns recorded
before were credited nothing: all of their value is to refund.

Revision ID: 82c8adcba035
Revises: fe0eb10197a1
Create Date: 2026-12-01 09:20:13.363211+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '82c8adcba035'
down_revision: str | Sequence[str] | None = 'fe0eb10197a1'
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
    with op.batch_alter_table('delivery_return') as batch:
        batch.add_column(sa.Column('receivable_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('credit_note_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('credited', sa.Numeric(precision=18, scale=2),
                                   nullable=False, server_default='0'))
        batch.add_column(sa.Column('to_refund', sa.Numeric(precision=18, scale=2),
                                   nullable=False, server_default='0'))
        batch.create_foreign_key(op.f('fk_delivery_return_receivable_id_receivable'),
                                 'receivable', ['receivable_id'], ['id'])
        batch.create_foreign_key(op.f('fk_delivery_return_credit_note_id_receivable_credit'),
                                 'receivable_credit', ['credit_note_id'], ['id'])
    op.execute("UPDATE delivery_return SET to_refund = total")
    with op.batch_alter_table('delivery_return') as batch:
        batch.alter_column('credited', server_default=None)
        batch.alter_column('to_refund', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('delivery_return') as batch:
        batch.drop_constraint(op.f('fk_delivery_return_credit_note_id_receivable_credit'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('fk_delivery_return_receivable_id_receivable'),
                              type_='foreignkey')
        batch.drop_column('to_refund')
        batch.drop_column('credited')
        batch.drop_column('credit_note_id')
        batch.drop_column('receivable_id')
    op.drop_table('receivable_open_balance')
