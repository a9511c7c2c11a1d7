"""create leads opportunities and quotes

Revision ID: 5f1d3eda8490
Revises: 8da58ecdbe10
Create Date: 2026-11-23 14:59:13.589842+00:00
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

    op.create_table('quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('max_discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('below_floor', sa.Boolean(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'sent', 'accepted', 'declined', 'expired', 'superseded', name='quotestatus'), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=True),
    sa.Column('predecessor_id', sa.Integer(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=2000), nullable=True),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('exchange_rate > 0', name=op.f('ck_quote_exchange_rate_positive')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_quote_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_quote_department_id_department')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_quote_opportunity_id_opportunity')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['quote.id'], name=op.f('fk_quote_predecessor_id_quote')),
    sa.ForeignKeyConstraint(['successor_id'], ['quote.id'], name=op.f('fk_quote_successor_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote'))
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index('ix_quote_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_quote_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index('ix_quote_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_root_id'), ['root_id'], unique=False)
        batch_op.create_index('ix_quote_status_valid_until', ['status', 'valid_until'], unique=False)

    op.create_table('quote_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('list_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('effective_discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('floor_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('below_floor', sa.Boolean(), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_quote_line_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_quote_line_product_id_product')),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_quote_line_quote_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_line'))
    )
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.create_index('ix_quote_line_quote_id_line_no', ['quote_id', 'line_no'], unique=False)

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contract_quote_id'), ['quote_id'])
        batch_op.create_foreign_key(batch_op.f('fk_contract_quote_id_quote'), 'quote', ['quote_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contract_quote_id_quote'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_contract_quote_id'), type_='unique')
        batch_op.drop_column('quote_id')

    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_line_quote_id_line_no')

    op.drop_table('quote_line')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_status_valid_until')
        batch_op.drop_index(batch_op.f('ix_quote_root_id'))
        batch_op.drop_index('ix_quote_owner_id_id')
        batch_op.drop_index(batch_op.f('ix_quote_opportunity_id'))
        batch_op.drop_index('ix_quote_department_id_id')
        batch_op.drop_index('ix_quote_customer_id_id')

    op.drop_table('quote')
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
    # PostgreSQL keeps enum types after their tables; drop them so upgrade can run again.
    for enum in ('quotestatus', 'proposalstatus', 'opportunitystage', 'opportunitygrade',
                 'leadstatus', 'leadsource'):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
