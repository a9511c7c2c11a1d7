"""audit verified checkpoint

`GET /audit-log/verify` recomputed the whole hash chain on every call (61 s for 2,000,000
entries, on the API worker). The checkpoint row records the highest entry verified and its
hash, so a verification recomputes only what was sealed after it, and the outcome of the
last full check, which the worker runs on a schedule because only it finds an entry altered
before the checkpoint. One row, like audit_seal_state; it starts at 0, so the first
verification after the upgrade still walks the whole existing chain once.

Revision ID: ade20c8c55bd
Revises: a1450c5addf2
Create Date: 2026-12-01 11:44:33.081274+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ade20c8c55bd'
down_revision: str | Sequence[str] | None = 'a1450c5addf2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    audit_checkpoint = op.create_table(
        'audit_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('verified_seq', sa.BigInteger(), nullable=False),
        sa.Column('verified_hash', sa.String(length=64), nullable=True),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('verified_by', sa.String(length=128), nullable=True),
        sa.Column('full_check_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('full_checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('full_check_by', sa.String(length=128), nullable=True),
        sa.Column('full_check_valid', sa.Boolean(), nullable=True),
        sa.Column('full_check_entries', sa.BigInteger(), nullable=True),
        sa.Column('full_check_invalid_seq', sa.BigInteger(), nullable=True),
        sa.Column('full_check_problem', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )
    op.bulk_insert(audit_checkpoint, [{"id": 1, "verified_seq": 0}])


def downgrade() -> None:
    op.drop_table('audit_checkpoint')
