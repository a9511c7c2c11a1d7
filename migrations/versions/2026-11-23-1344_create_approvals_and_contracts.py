"""create approvals and contracts

Revision ID: 8da58ecdbe10
Revises: 8ff16ce45b79
Create Date: 2026-11-23 13:44:40.697411+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8da58ecdbe10'
down_revision: str | Sequence[str] | None = '8ff16ce45b79'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('approval_policy',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_approval_policy'))
    )
    op.create_table('approval_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('document_version', sa.Integer(), nullable=False),
    sa.Column('policy_key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('submitted_by', sa.String(length=128), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('fired_rules', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'recalled', name='requeststatus'), nullable=False),
    sa.Column('current_stage', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_reason', sa.String(length=2000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_request'))
    )
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.create_index('ix_approval_request_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_request_document', ['document_type', 'document_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_request_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_request_submitted_by'), ['submitted_by'], unique=False)

    op.create_table('delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.String(length=128), nullable=False),
    sa.Column('delegate_id', sa.String(length=128), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('delegator_roles', sa.JSON(), nullable=False),
    sa.Column('delegator_dept', sa.String(length=32), nullable=True),
    sa.Column('delegator_depts', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_delegation_dates_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index('ix_delegation_delegate_id_dates', ['delegate_id', 'start_date', 'end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_delegator_id'), ['delegator_id'], unique=False)

    op.create_table('approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('stage_index', sa.Integer(), nullable=False),
    sa.Column('stage_name', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=True),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('approvals', sa.Integer(), nullable=False),
    sa.Column('sla_hours', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'active', 'approved', 'rejected', 'cancelled', name='stepstatus'), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_role', sa.String(length=32), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quorum >= 1', name=op.f('ck_approval_step_quorum_positive')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'], name=op.f('fk_approval_step_request_id_approval_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_step'))
    )
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.create_index('ix_approval_step_request_id_stage', ['request_id', 'stage_index'], unique=False)
        batch_op.create_index('ix_approval_step_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_approval_step_status_role', ['status', 'role'], unique=False)

    op.create_table('approval_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.String(length=128), nullable=False),
    sa.Column('on_behalf_of_id', sa.String(length=128), nullable=True),
    sa.Column('decision', sa.Enum('approve', 'reject', name='decision'), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=True),
    sa.Column('document_version', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'], name=op.f('fk_approval_decision_request_id_approval_request')),
    sa.ForeignKeyConstraint(['step_id'], ['approval_step.id'], name=op.f('fk_approval_decision_step_id_approval_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_decision')),
    sa.UniqueConstraint('step_id', 'actor_id', name='uq_approval_decision_step_actor')
    )
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.create_index('ix_approval_decision_request_id', ['request_id'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=True),
    sa.Column('clauses', sa.Text(), nullable=True),
    sa.Column('major_interest', sa.Boolean(), nullable=False),
    sa.Column('payment_schedule', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'signed', 'completed', 'terminated', 'voided', name='contractstatus'), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=True),
    sa.Column('predecessor_id', sa.Integer(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('signed_date', sa.Date(), nullable=True),
    sa.Column('signatories', sa.JSON(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('termination_reason', sa.String(length=2000), nullable=True),
    sa.Column('termination_request_id', sa.Integer(), nullable=True),
    sa.Column('terminated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('exchange_rate > 0', name=op.f('ck_contract_exchange_rate_positive')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_contract_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_contract_department_id_department')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['contract.id'], name=op.f('fk_contract_predecessor_id_contract')),
    sa.ForeignKeyConstraint(['successor_id'], ['contract.id'], name=op.f('fk_contract_successor_id_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index('ix_contract_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_contract_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_contract_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_root_id'), ['root_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_status'), ['status'], unique=False)

    op.create_table('contract_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_contract_line_quantity_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_line_contract_id_contract')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_contract_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_line'))
    )
    with op.batch_alter_table('contract_line', schema=None) as batch_op:
        batch_op.create_index('ix_contract_line_contract_id_line_no', ['contract_id', 'line_no'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contract_line', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_line_contract_id_line_no')

    op.drop_table('contract_line')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_status'))
        batch_op.drop_index(batch_op.f('ix_contract_root_id'))
        batch_op.drop_index('ix_contract_owner_id_id')
        batch_op.drop_index('ix_contract_department_id_id')
        batch_op.drop_index('ix_contract_customer_id_id')

    op.drop_table('contract')
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_decision_request_id')

    op.drop_table('approval_decision')
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_step_status_role')
        batch_op.drop_index('ix_approval_step_status_due_at')
        batch_op.drop_index('ix_approval_step_request_id_stage')

    op.drop_table('approval_step')
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_delegator_id'))
        batch_op.drop_index('ix_delegation_delegate_id_dates')

    op.drop_table('delegation')
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_request_submitted_by'))
        batch_op.drop_index(batch_op.f('ix_approval_request_status'))
        batch_op.drop_index('ix_approval_request_owner_id_id')
        batch_op.drop_index('ix_approval_request_document')
        batch_op.drop_index('ix_approval_request_department_id_id')

    op.drop_table('approval_request')
    op.drop_table('approval_policy')
