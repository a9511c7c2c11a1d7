"""sales month total rollup

`sales_month_total`: per department, rep and company calendar month (Asia/Shanghai), the
orders confirmed in it that stand (not cancelled) and the payments received in it, in CNY,
kept by the commands that confirm and cancel orders and record payments
(app/orders/month_totals.py). Plan progress and the deviation report sum it instead of
every order and payment of their period: at 1,000,000 orders one department's plan
progress read ~167,000 orders of the year, now a row per rep and month. Filled here from
the orders and payments recorded so far (the same statement as
`month_totals.backfill_sql`, copied so that this revision does not move with the code).

Revision ID: 319337e80913
Revises: ade20c8c55bd
Create Date: 2026-12-01 11:44:16.981606+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '319337e80913'
down_revision: str | Sequence[str] | None = 'ade20c8c55bd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _month(column: str, *, instant: bool) -> str:
    if op.get_bind().dialect.name == "postgresql":
        local = f"({column} AT TIME ZONE 'Asia/Shanghai')" if instant else column
        return f"CAST(date_trunc('month', {local}) AS date)"
    # SQLite holds instants as naive UTC text; Asia/Shanghai has kept UTC+8 since 1991.
    # Cut to the second first: SQLite rounds microseconds to milliseconds, which would
    # carry 23:59:59.9995 and later of a last day over into the next month.
    if instant:
        return f"date(substr({column}, 1, 19), '+8 hours', 'start of month')"
    return f"date({column}, 'start of month')"


def upgrade() -> None:
    op.create_table('sales_month_total',
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('confirmed_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('collected_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('orders >= 0', name=op.f('ck_sales_month_total_orders_not_negative')),
    sa.CheckConstraint('payments >= 0', name=op.f('ck_sales_month_total_payments_not_negative')),
    sa.PrimaryKeyConstraint('department_id', 'owner_id', 'month', name=op.f('pk_sales_month_total'))
    )
    with op.batch_alter_table('sales_month_total') as batch_op:
        batch_op.create_index('ix_sales_month_total_month_department_id',
                              ['month', 'department_id'], unique=False)
    confirmed = _month("confirmed_at", instant=True)
    received = _month("received_on", instant=False)
    op.execute(
        "INSERT INTO sales_month_total (department_id, owner_id, month, orders, "
        "confirmed_base, payments, collected_base) "
        "SELECT department_id, owner_id, month, sum(orders), sum(confirmed_base), "
        "sum(payments), sum(collected_base) FROM ("
        f"SELECT department_id, owner_id, {confirmed} AS month, count(*) AS orders, "
        "sum(total_base) AS confirmed_base, 0 AS payments, 0 AS collected_base "
        "FROM sales_order WHERE confirmed_at IS NOT NULL AND status <> 'cancelled' "
        "GROUP BY department_id, owner_id, month "
        f"UNION ALL SELECT department_id, owner_id, {received} AS month, 0, 0, count(*), "
        "sum(amount_base) FROM payment GROUP BY department_id, owner_id, month"
        ") AS raw GROUP BY department_id, owner_id, month")


def downgrade() -> None:
    with op.batch_alter_table('sales_month_total') as batch_op:
        batch_op.drop_index('ix_sales_month_total_month_department_id')
    op.drop_table('sales_month_total')
