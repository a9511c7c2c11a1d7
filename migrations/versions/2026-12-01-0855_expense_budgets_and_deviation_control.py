"""expense budgets and deviation control

Sales expense budgets (销售费用预算): a department's budget for a year with its seasonal
ratios, its items by category (amount and what has been spent: expenses lock the item's
row), the expenses recorded against them and the GM overrides that allow one beyond an
item's remainder. Deviation control (销售偏差): each department's planned growth rate per
year, and the deviation analyses with their measures; and the index on sales_order the
deviation report reads the sales that stand through.

The category type is created with the first table that uses it; the two others name it
without creating it again (PostgreSQL).

Revision ID: 098e123b2347
Revises: 646956bfc45a
Create Date: 2026-12-01 08:55:02.725258+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '098e123b2347'
down_revision: str | Sequence[str] | None = '646956bfc45a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = ('travel', 'office', 'depreciation', 'phone', 'commission', 'advertising',
              'exhibition', 'other')
STANDING = "status <> 'cancelled'"
ENUMS = ('analysisstatus', 'budgetstatus', 'expensecategory', 'overridestatus')


def _category(created: bool) -> sa.Enum:
    if created:
        return sa.Enum(*CATEGORIES, name='expensecategory')
    return postgresql.ENUM(*CATEGORIES, name='expensecategory', create_type=False)


def upgrade() -> None:
    op.create_table('deviation_analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('actual', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('baseline', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('growth_rate', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('standard', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('deviation', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('causes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'completed', name='analysisstatus'), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('month IS NULL OR month BETWEEN 1 AND 12', name=op.f('ck_deviation_analysis_month_valid')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_deviation_analysis_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deviation_analysis')),
    sa.UniqueConstraint('number', name=op.f('uq_deviation_analysis_number'))
    )
    with op.batch_alter_table('deviation_analysis', schema=None) as batch_op:
        batch_op.create_index('ix_deviation_analysis_department_id_id', ['department_id', 'id'], unique=False)

    op.create_table('expense_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('seasonal_ratios', sa.JSON(), nullable=False),
    sa.Column('remainder_month', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', name='budgetstatus'), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('remainder_month BETWEEN 1 AND 12', name=op.f('ck_expense_budget_remainder_month_valid')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_expense_budget_total_non_negative')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_expense_budget_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_budget')),
    sa.UniqueConstraint('department_id', 'year', name='uq_expense_budget_department_year'),
    sa.UniqueConstraint('number', name=op.f('uq_expense_budget_number'))
    )
    with op.batch_alter_table('expense_budget', schema=None) as batch_op:
        batch_op.create_index('ix_expense_budget_department_id_id', ['department_id', 'id'], unique=False)

    op.create_table('growth_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('growth_rate', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('set_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_growth_target_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_growth_target')),
    sa.UniqueConstraint('department_id', 'year', name='uq_growth_target_department_year')
    )
    op.create_table('deviation_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=128), nullable=True),
    sa.Column('done_note', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['analysis_id'], ['deviation_analysis.id'], name=op.f('fk_deviation_measure_analysis_id_deviation_analysis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deviation_measure')),
    sa.UniqueConstraint('analysis_id', 'position', name='uq_deviation_measure_position')
    )
    op.create_table('expense_budget_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('category', _category(created=True), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('spent', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_expense_budget_item_amount_non_negative')),
    sa.CheckConstraint('spent >= 0', name=op.f('ck_expense_budget_item_spent_non_negative')),
    sa.ForeignKeyConstraint(['budget_id'], ['expense_budget.id'], name=op.f('fk_expense_budget_item_budget_id_expense_budget')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_budget_item')),
    sa.UniqueConstraint('budget_id', 'category', name='uq_expense_budget_item_category')
    )
    with op.batch_alter_table('expense_budget_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expense_budget_item_budget_id'), ['budget_id'], unique=False)

    op.create_table('expense_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('category', _category(created=False), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('spent_by', sa.String(length=128), nullable=False),
    sa.Column('justification', sa.String(length=2000), nullable=False),
    sa.Column('remainder_at_request', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'rejected', 'recalled', name='overridestatus'), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_expense_override_amount_positive')),
    sa.ForeignKeyConstraint(['budget_id'], ['expense_budget.id'], name=op.f('fk_expense_override_budget_id_expense_budget')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_expense_override_department_id_department')),
    sa.ForeignKeyConstraint(['item_id'], ['expense_budget_item.id'], name=op.f('fk_expense_override_item_id_expense_budget_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_override'))
    )
    with op.batch_alter_table('expense_override', schema=None) as batch_op:
        batch_op.create_index('ix_expense_override_budget_id_id', ['budget_id', 'id'], unique=False)

    op.create_table('expense',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('category', _category(created=False), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('spent_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('override_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_expense_amount_positive')),
    sa.ForeignKeyConstraint(['budget_id'], ['expense_budget.id'], name=op.f('fk_expense_budget_id_expense_budget')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_expense_department_id_department')),
    sa.ForeignKeyConstraint(['item_id'], ['expense_budget_item.id'], name=op.f('fk_expense_item_id_expense_budget_item')),
    sa.ForeignKeyConstraint(['override_id'], ['expense_override.id'], name=op.f('fk_expense_override_id_expense_override')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense'))
    )
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.create_index('ix_expense_budget_id_id', ['budget_id', 'id'], unique=False)
        batch_op.create_index('ix_expense_item_id_spent_on', ['item_id', 'spent_on'], unique=False)

    # The deviation report's sales: a period of every department as one index range read.
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_standing_confirmed_at',
                              ['confirmed_at', 'department_id', 'total_base'], unique=False,
                              postgresql_where=sa.text(STANDING),
                              sqlite_where=sa.text(STANDING))



def downgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_standing_confirmed_at',
                            postgresql_where=sa.text(STANDING), sqlite_where=sa.text(STANDING))

    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.drop_index('ix_expense_item_id_spent_on')
        batch_op.drop_index('ix_expense_budget_id_id')

    op.drop_table('expense')
    with op.batch_alter_table('expense_override', schema=None) as batch_op:
        batch_op.drop_index('ix_expense_override_budget_id_id')

    op.drop_table('expense_override')
    with op.batch_alter_table('expense_budget_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expense_budget_item_budget_id'))

    op.drop_table('expense_budget_item')
    op.drop_table('deviation_measure')
    op.drop_table('growth_target')
    with op.batch_alter_table('expense_budget', schema=None) as batch_op:
        batch_op.drop_index('ix_expense_budget_department_id_id')

    op.drop_table('expense_budget')
    with op.batch_alter_table('deviation_analysis', schema=None) as batch_op:
        batch_op.drop_index('ix_deviation_analysis_department_id_id')

    op.drop_table('deviation_analysis')
    for enum in ENUMS:
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
