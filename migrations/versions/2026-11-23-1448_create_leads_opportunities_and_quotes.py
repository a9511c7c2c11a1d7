"""create leads opportunities and quotes

Revision ID: 5f1d3eda8490
Revises: 8da58ecdbe10
Create Date: 2026-11-23 14:53:56.804249+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5f1d3eda8490'
down_revision: str | Sequence[str] | None = '8da58ecdbe10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('web', 'exhibition', 'referral', 'phone', 'social', 'other', name='leadsource'), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('phone_extension', sa.String(length=6), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('company_key', sa.String(length=200), nullable=False),
    sa.Column('needs', sa.Text(), nullable=True),
    sa.Column('possible_duplicate', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('new', 'contacted', 'qualified', 'converted', 'disqualified', name='leadstatus'), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=True),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('disqualify_reason', sa.String(length=2000), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('qualified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disqualified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_lead_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_lead_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_company_key'), ['company_key'], unique=False)
        batch_op.create_index('ix_lead_department_id_created_at', ['department_id', 'created_at'], unique=False)
        batch_op.create_index('ix_lead_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_email'), ['email'], unique=False)
        batch_op.create_index('ix_lead_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_phone'), ['phone'], unique=False)

    op.create_table('opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('grade', sa.Enum('high', 'medium', 'low', name='opportunitygrade'), nullable=False),
    sa.Column('stage', sa.Enum('qualification', 'needs_analysis', 'proposal', 'negotiation', 'won', 'lost', name='opportunitystage'), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('expected_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('expected_close_date', sa.Date(), nullable=False),
    sa.Column('won_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('lost_reason', sa.String(length=2000), nullable=True),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposal_summary', sa.Text(), nullable=True),
    sa.Column('proposal_status', sa.Enum('pending_approval', 'approved', 'rejected', 'recalled', name='proposalstatus'), nullable=True),
    sa.Column('proposal_rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('proposal_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expected_amount >= 0', name=op.f('ck_opportunity_expected_amount_non_negative')),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_opportunity_probability_percent')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_opportunity_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_opportunity_department_id_department')),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_opportunity_lead_id_lead')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity')),
    sa.UniqueConstraint('lead_id', name=op.f('uq_opportunity_lead_id'))
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_opportunity_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_opportunity_owner_id_id', ['owner_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_owner_id_id')
        batch_op.drop_index('ix_opportunity_department_id_id')
        batch_op.drop_index('ix_opportunity_customer_id_id')

    op.drop_table('opportunity')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_phone'))
        batch_op.drop_index('ix_lead_owner_id_id')
        batch_op.drop_index(batch_op.f('ix_lead_email'))
        batch_op.drop_index('ix_lead_department_id_id')
        batch_op.drop_index('ix_lead_department_id_created_at')
        batch_op.drop_index(batch_op.f('ix_lead_company_key'))

    op.drop_table('lead')
