"""event sequencing and webhooks

Events get a feed position and a per-subject sequence number from the sequencer (existing
events are sequenced, in id order, on its first pass); webhook subscriptions and their
deliveries.

Revision ID: 87014a069014
Revises: 5f1d3eda8490
Create Date: 2026-11-23 14:59:58.767415+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '87014a069014'
down_revision: str | Sequence[str] | None = '5f1d3eda8490'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_sequencer_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_position', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_sequencer_state'))
    )
    op.bulk_insert(sa.table('event_sequencer_state', sa.column('id', sa.Integer),
                            sa.column('last_position', sa.BigInteger)),
                   [{"id": 1, "last_position": 0}])
    op.create_table('event_subject',
    sa.Column('subject', sa.String(length=96), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_event_subject'))
    )
    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('starts_after_event_id', sa.BigInteger(), nullable=False),
    sa.Column('sealed_secret', sa.Text(), nullable=False),
    sa.Column('previous_sealed_secret', sa.Text(), nullable=True),
    sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    op.create_table('webhook_delivery',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('event_occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'delivered', 'failed', name='deliverystatus'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempts_in_schedule', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_latency_ms', sa.Float(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('subscription_id', 'event_id', name=op.f('uq_webhook_delivery_subscription_id'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_subscription', ['subscription_id', 'id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.create_index('ix_event_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index('ix_event_unsequenced', ['id'], unique=False, sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_event_position'), ['position'])
        batch_op.create_unique_constraint(batch_op.f('uq_event_subject'), ['subject', 'sequence'])



def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_event_subject'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_event_position'), type_='unique')
        batch_op.drop_index('ix_event_unsequenced', sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))
        batch_op.drop_index('ix_event_occurred_at')
        batch_op.drop_column('sequence')
        batch_op.drop_column('position')

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_subscription')
        batch_op.drop_index('ix_webhook_delivery_due')
        batch_op.drop_index('ix_webhook_delivery_created_at')

    op.drop_table('webhook_delivery')
    op.drop_table('webhook_subscription')
    op.drop_table('event_subject')
    op.drop_table('event_sequencer_state')
    sa.Enum(name='deliverystatus').drop(op.get_bind(), checkfirst=True)
