"""customer visits and timeline indexes

Customer visits (客户拜访): the rep's request (customer, purpose, time, place), decided on
the approval kernel, and its report; a PostgreSQL enum for its status. And the indexes the
customer timeline reads through: (customer_id, time, id) on each kind of document, so
every kind's part of a page is one index range from the cursor on.

Revision ID: fe0eb10197a1
Revises: 63b3801238a2
Create Date: 2026-12-01 08:51:42.688566+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'fe0eb10197a1'
down_revision: str | Sequence[str] | None = '63b3801238a2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=500), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'rejected', 'cancelled', 'reported', name='visitstatus'), nullable=False),
    sa.Column('key_customer', sa.Boolean(), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=2000), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('next_steps', sa.Text(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_visit_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_customer_visit_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_visit')),
    sa.UniqueConstraint('number', name=op.f('uq_customer_visit_number'))
    )
    with op.batch_alter_table('customer_visit', schema=None) as batch_op:
        batch_op.create_index('ix_customer_visit_customer_id_planned_at_id', ['customer_id', 'planned_at', 'id'], unique=False)
        batch_op.create_index('ix_customer_visit_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_customer_visit_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_customer_visit_planned_at_id', ['planned_at', 'id'], unique=False)
        batch_op.create_index('ix_customer_visit_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index('ix_contract_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index('ix_quote_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.create_index('ix_receivable_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_customer_id_created_at_id', ['customer_id', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_customer_id_created_at_id')

    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.drop_index('ix_receivable_customer_id_created_at_id')

    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_customer_id_created_at_id')

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_customer_id_created_at_id')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_customer_id_created_at_id')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_customer_id_created_at_id')

    with op.batch_alter_table('customer_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_visit_status_id')
        batch_op.drop_index('ix_customer_visit_planned_at_id')
        batch_op.drop_index('ix_customer_visit_owner_id_id')
        batch_op.drop_index('ix_customer_visit_department_id_id')
        batch_op.drop_index('ix_customer_visit_customer_id_planned_at_id')

    op.drop_table('customer_visit')
    sa.Enum(name='visitstatus').drop(op.get_bind(), checkfirst=True)
