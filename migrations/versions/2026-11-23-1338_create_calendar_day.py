"""create calendar day

Revision ID: 8ff16ce45b79
Revises: 1641df98ac80
Create Date: 2026-11-23 13:38:02.328609+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8ff16ce45b79'
down_revision: str | Sequence[str] | None = '1641df98ac80'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_day_kind')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )


def downgrade() -> None:
    op.drop_table('calendar_day')
