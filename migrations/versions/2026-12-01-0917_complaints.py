"""complaints

Customer complaints (顾客抱怨处理): the complaint with its acknowledgement deadline, the
responsible department's report, quality's review, the CAPA (approved through the kernel
as `corrective_action`), verification, feedback and close; its tracking records and its
remedies (a return links its delivery return, a refund its credit note). Indexed for the
lists (status, owner, department, responsible department), the customer timeline
(customer_id, created_at, id) and the acknowledgement sweep (a partial index on the
deadline of those not yet acknowledged nor announced).

Revision ID: 63b3801238a2
Revises: c0de1affe7fd
Create Date: 2026-12-01 09:17:59.689004+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '63b3801238a2'
down_revision: str | Sequence[str] | None = 'c0de1affe7fd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('phone', 'email', 'visit', 'web', 'letter', 'erp', 'other', name='complaintchannel'), nullable=False),
    sa.Column('category', sa.Enum('quality', 'delivery', 'service', 'billing', 'other', name='complaintcategory'), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', 'critical', name='complaintseverity'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('received', 'investigating', 'under_review', 'explained', 'negotiating', 'corrective_action', 'capa_review', 'implementing', 'verifying', 'verified', 'feedback_given', 'closed', name='complaintstatus'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ack_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responsible_department_id', sa.String(length=32), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('company_fault', sa.Boolean(), nullable=True),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('responsibility_report', sa.Text(), nullable=True),
    sa.Column('determined_by', sa.String(length=128), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=128), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('nonconformity_report', sa.Text(), nullable=True),
    sa.Column('corrective_actions', sa.Text(), nullable=True),
    sa.Column('preventive_actions', sa.Text(), nullable=True),
    sa.Column('capa_due_date', sa.Date(), nullable=True),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('verification_report', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.String(length=128), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('settlement', sa.Text(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5', name=op.f('ck_complaint_satisfaction_1_to_5')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_complaint_customer_id_customer')),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_complaint_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_complaint_department_id_department')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_complaint_order_id_sales_order')),
    sa.ForeignKeyConstraint(['responsible_department_id'], ['department.id'], name=op.f('fk_complaint_responsible_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_number'))
    )
    op.create_index('ix_complaint_ack_due_at', 'complaint', ['ack_due_at'], unique=False, postgresql_where=sa.text('acknowledged_at IS NULL AND ack_overdue_at IS NULL'), sqlite_where=sa.text('acknowledged_at IS NULL AND ack_overdue_at IS NULL'))
    op.create_index('ix_complaint_customer_id_created_at_id', 'complaint', ['customer_id', 'created_at', 'id'], unique=False)
    op.create_index(op.f('ix_complaint_delivery_id'), 'complaint', ['delivery_id'], unique=False)
    op.create_index('ix_complaint_department_id_id', 'complaint', ['department_id', 'id'], unique=False)
    op.create_index(op.f('ix_complaint_order_id'), 'complaint', ['order_id'], unique=False)
    op.create_index('ix_complaint_owner_id_id', 'complaint', ['owner_id', 'id'], unique=False)
    op.create_index('ix_complaint_responsible_department_id_id', 'complaint', ['responsible_department_id', 'id'], unique=False)
    op.create_index('ix_complaint_status_id', 'complaint', ['status', 'id'], unique=False)
    op.create_table('complaint_tracking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_tracking_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_tracking'))
    )
    op.create_index('ix_complaint_tracking_complaint_id_id', 'complaint_tracking', ['complaint_id', 'id'], unique=False)
    op.create_table('complaint_remedy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('repair', 'replacement', 'return', 'refund', name='remedykind'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('receivable_id', sa.Integer(), nullable=True),
    sa.Column('credit_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('delivery_return_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_complaint_remedy_amount_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_remedy_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['credit_id'], ['receivable_credit.id'], name=op.f('fk_complaint_remedy_credit_id_receivable_credit')),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_complaint_remedy_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['delivery_return_id'], ['delivery_return.id'], name=op.f('fk_complaint_remedy_delivery_return_id_delivery_return')),
    sa.ForeignKeyConstraint(['receivable_id'], ['receivable.id'], name=op.f('fk_complaint_remedy_receivable_id_receivable')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_remedy'))
    )
    op.create_index('ix_complaint_remedy_complaint_id_id', 'complaint_remedy', ['complaint_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_complaint_remedy_complaint_id_id', table_name='complaint_remedy')
    op.drop_table('complaint_remedy')
    op.drop_index('ix_complaint_tracking_complaint_id_id', table_name='complaint_tracking')
    op.drop_table('complaint_tracking')
    op.drop_index('ix_complaint_status_id', table_name='complaint')
    op.drop_index('ix_complaint_responsible_department_id_id', table_name='complaint')
    op.drop_index('ix_complaint_owner_id_id', table_name='complaint')
    op.drop_index(op.f('ix_complaint_order_id'), table_name='complaint')
    op.drop_index('ix_complaint_department_id_id', table_name='complaint')
    op.drop_index(op.f('ix_complaint_delivery_id'), table_name='complaint')
    op.drop_index('ix_complaint_customer_id_created_at_id', table_name='complaint')
    op.drop_index('ix_complaint_ack_due_at', table_name='complaint', postgresql_where=sa.text('acknowledged_at IS NULL AND ack_overdue_at IS NULL'), sqlite_where=sa.text('acknowledged_at IS NULL AND ack_overdue_at IS NULL'))
    op.drop_table('complaint')
    for enum in ('remedykind', 'complaintstatus', 'complaintseverity', 'complaintcategory',
                 'complaintchannel'):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
