"""idempotency leases and executed marker

An Idempotency-Key's claim names its owner (a token per request) and holds a lease the
owner renews while it runs, so a retry takes over the key of a crashed owner within
seconds; the command's own commit stamps `executed_at`, so a key whose command committed
is never run again. Nullable: claims written before (and, during a rolling deploy, by the
previous release) carry neither and keep their old two-minute timeout.

Revision ID: 46a04cbc7ece
Revises: 1b736880f8be
Create Date: 2026-12-01 03:41:33.212591+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '46a04cbc7ece'
down_revision: str | Sequence[str] | None = '1b736880f8be'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_column('executed_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('owner')
