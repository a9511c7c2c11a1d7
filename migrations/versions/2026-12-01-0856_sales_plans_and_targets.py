"""sales plans and targets

Sales plans (年度/月度销售计划) per department and year or month, one row per revision (a
revision of an approved plan keeps its number; the approved one stays in force until the
revision is approved), their optional product-line split, the reps' targets (业绩协议) with
their acknowledgement, and a yearly target's split by month. Two partial unique indexes keep
one plan per department and period (a cancelled draft aside) and one in force. The progress report's indexes on the orders' and payments' tables
(app/plans/indexes.py).

Revision ID: 646956bfc45a
Revises: c3082887d807
Create Date: 2026-12-01 08:56:41.268769+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '646956bfc45a'
down_revision: str | Sequence[str] | None = 'c3082887d807'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sales_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('target_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'superseded', 'cancelled', name='salesplanstatus'), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('month IS NULL OR (month >= 1 AND month <= 12)', name=op.f('ck_sales_plan_month_in_year')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_sales_plan_revision_positive')),
    sa.CheckConstraint('target_amount >= 0', name=op.f('ck_sales_plan_target_amount_non_negative')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_sales_plan_department_id_department')),
    sa.ForeignKeyConstraint(['previous_id'], ['sales_plan.id'], name=op.f('fk_sales_plan_previous_id_sales_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_plan'))
    )
    op.create_index('uq_sales_plan_number_revision', 'sales_plan', ['number', 'revision'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.create_index('ix_sales_plan_period_department_id', 'sales_plan', ['period', 'department_id'], unique=False)
    op.create_index('uq_sales_plan_department_id_period_revision', 'sales_plan', ['department_id', 'period', 'revision'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.create_index('uq_sales_plan_in_force', 'sales_plan', ['department_id', 'period'], unique=True, postgresql_where=sa.text("status = 'approved'"), sqlite_where=sa.text("status = 'approved'"))
    op.create_index('ix_sales_order_department_id_owner_id_confirmed_at', 'sales_order', ['department_id', 'owner_id', 'confirmed_at', 'status', 'total_base'], unique=False)
    op.create_index('ix_payment_department_id_owner_id_received_on', 'payment', ['department_id', 'owner_id', 'received_on', 'amount_base'], unique=False)
    op.create_table('sales_plan_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('product_line', sa.String(length=100), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_sales_plan_line_amount_non_negative')),
    sa.ForeignKeyConstraint(['plan_id'], ['sales_plan.id'], name=op.f('fk_sales_plan_line_plan_id_sales_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_plan_line')),
    sa.UniqueConstraint('plan_id', 'product_line', name='uq_sales_plan_line_product_line')
    )
    op.create_table('sales_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_sales_target_amount_non_negative')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_sales_target_department_id_department')),
    sa.ForeignKeyConstraint(['plan_id'], ['sales_plan.id'], name=op.f('fk_sales_target_plan_id_sales_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_target')),
    sa.UniqueConstraint('plan_id', 'owner_id', name='uq_sales_target_plan_id_owner_id')
    )
    op.create_index('ix_sales_target_department_id_id', 'sales_target', ['department_id', 'id'], unique=False)
    op.create_index('ix_sales_target_owner_id_id', 'sales_target', ['owner_id', 'id'], unique=False)
    op.create_table('sales_target_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_sales_target_month_amount_non_negative')),
    sa.CheckConstraint('month >= 1 AND month <= 12', name=op.f('ck_sales_target_month_month_in_year')),
    sa.ForeignKeyConstraint(['target_id'], ['sales_target.id'], name=op.f('fk_sales_target_month_target_id_sales_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_target_month')),
    sa.UniqueConstraint('target_id', 'month', name='uq_sales_target_month_target_id_month')
    )


def downgrade() -> None:
    op.drop_table('sales_target_month')
    op.drop_index('ix_sales_target_owner_id_id', table_name='sales_target')
    op.drop_index('ix_sales_target_department_id_id', table_name='sales_target')
    op.drop_table('sales_target')
    op.drop_table('sales_plan_line')
    op.drop_index('uq_sales_plan_in_force', table_name='sales_plan', postgresql_where=sa.text("status = 'approved'"), sqlite_where=sa.text("status = 'approved'"))
    op.drop_index('uq_sales_plan_department_id_period_revision', table_name='sales_plan', postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.drop_index('ix_sales_plan_period_department_id', table_name='sales_plan')
    op.drop_index('uq_sales_plan_number_revision', table_name='sales_plan', postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.drop_table('sales_plan')
    sa.Enum(name='salesplanstatus').drop(op.get_bind(), checkfirst=True)
    op.drop_index('ix_payment_department_id_owner_id_received_on', table_name='payment')
    op.drop_index('ix_sales_order_department_id_owner_id_confirmed_at', table_name='sales_order')
