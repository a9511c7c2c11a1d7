"""order credit check and close reason

An order keeps the figures of the credit check at its last submission (limit, each
exposure component, the amount over, the rating, who may release it), so a held order
explains itself on every read and in its events; a short-closed order keeps why the rest
will not be delivered; and order lines are found by the quote line they call off (the
quantities already ordered from a quote), as they already are by contract line.

The prepayment check loses its upper bound: on SQLite the column holds hundredths (exact
decimals as integers), so "<= 100" refused any prepayment above 1 %; the API keeps the
bound.

Revision ID: ed13bd845009
Revises: 9849d957ca93
Create Date: 2026-12-01 05:05:53.492190+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ed13bd845009'
down_revision: str | Sequence[str] | None = '9849d957ca93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_check', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=2000), nullable=True))
        batch_op.drop_constraint(op.f('ck_sales_order_prepayment_percent_range'), type_='check')
        batch_op.create_check_constraint('prepayment_percent_non_negative',
                                         'prepayment_percent >= 0')

    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_line_quote_line_id', ['quote_line_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_line_quote_line_id')

    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sales_order_prepayment_percent_non_negative'),
                                 type_='check')
        batch_op.create_check_constraint('prepayment_percent_range',
                                         'prepayment_percent >= 0 AND prepayment_percent <= 100')
        batch_op.drop_column('close_reason')
        batch_op.drop_column('credit_check')
