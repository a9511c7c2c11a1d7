"""approval request due_at

The inbox sorts by deadline (`GET /approvals?actionable=true&sort=due_at`): a keyset page
needs the deadline as a column of the request, indexed with the id, rather than the
minimum over its steps that a read computes. `approval_request.due_at` is the current
stage's earliest deadline among its active steps while the request is pending, NULL once
it has ended (app/approvals/store.py keeps it with the steps); pending requests get theirs
from their steps here.

Revision ID: 615a705104da
Revises: 4e5c3d51bde6
Create Date: 2026-12-01 11:46:12.224132+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '615a705104da'
down_revision: str | Sequence[str] | None = '4e5c3d51bde6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_approval_request_due_at_id', ['due_at', 'id'], unique=False)
    op.execute("""
        UPDATE approval_request SET due_at = (
            SELECT MIN(step.due_at) FROM approval_step AS step
            WHERE step.request_id = approval_request.id
              AND step.stage_index = approval_request.current_stage
              AND step.status = 'active')
        WHERE status = 'pending'
    """)


def downgrade() -> None:
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_request_due_at_id')
        batch_op.drop_column('due_at')
