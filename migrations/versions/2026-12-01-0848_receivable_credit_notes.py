"""receivable credit notes

Credit notes (红字冲销) lower a receivable's balance when goods come back or a complaint's
refund is agreed; `receivable.credited` keeps their total beside the amount (0 for every
receivable issued so far).

Revision ID: c3082887d807
Revises: 84c3fff6733d
Create Date: 2026-12-01 08:48:07.209997+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3082887d807'
down_revision: str | Sequence[str] | None = '84c3fff6733d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('receivable_credit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('receivable_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('source', sa.Enum('delivery_return', 'complaint_refund', 'adjustment', name='creditsource'), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('amount_base', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_receivable_credit_amount_positive')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_receivable_credit_customer_id_customer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_receivable_credit_department_id_department')),
    sa.ForeignKeyConstraint(['receivable_id'], ['receivable.id'], name=op.f('fk_receivable_credit_receivable_id_receivable')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable_credit')),
    sa.UniqueConstraint('number', name=op.f('uq_receivable_credit_number')),
    sa.UniqueConstraint('source', 'source_id', 'receivable_id', name='uq_receivable_credit_source')
    )
    with op.batch_alter_table('receivable_credit', schema=None) as batch_op:
        batch_op.create_index('ix_receivable_credit_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_receivable_credit_receivable_id', ['receivable_id'], unique=False)

    with op.batch_alter_table('receivable', schema=None) as batch_op:
        # 0 is zero on both databases (SQLite keeps money as integer minor units).
        batch_op.add_column(sa.Column('credited', sa.Numeric(precision=18, scale=2),
                                      nullable=False, server_default=sa.text('0')))
        batch_op.create_check_constraint(
            'credited_within_amount', 'credited >= 0 AND credited <= amount')
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.alter_column('credited', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.drop_constraint('credited_within_amount', type_='check')
        batch_op.drop_column('credited')

    with op.batch_alter_table('receivable_credit', schema=None) as batch_op:
        batch_op.drop_index('ix_receivable_credit_receivable_id')
        batch_op.drop_index('ix_receivable_credit_customer_id_id')

    op.drop_table('receivable_credit')
    sa.Enum(name='creditsource').drop(op.get_bind(), checkfirst=True)
