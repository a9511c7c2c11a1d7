"""lead funnel daily rollup and covering index

The funnel report read every lead of its range: 278 ms company-wide over 1,000,000 leads.
`lead_funnel_day` keeps its figures per company calendar day of creation, department and
rep (leads, qualified, opportunities and their amount, won and the amount won), kept in the
transaction of every change to a lead or its opportunity (app/leads/funnel_rollup.py);
a long range sums ~365 × reps rows instead of every lead. Filled here from the leads so far.

`ix_lead_created_at_department_id_owner_id` serves the short ranges that still read the
leads: on PostgreSQL it also carries the qualification and the id (INCLUDE), so the cohort is
read from the index alone; SQLite has no INCLUDE (its index carries the rowid, the id).

Revision ID: 6c5170b43e7b
Revises: 615a705104da
Create Date: 2026-12-01 11:52:14.693140+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6c5170b43e7b'
down_revision: str | Sequence[str] | None = '615a705104da'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The company calendar is Asia/Shanghai (app/calendar/working_time.py): PostgreSQL knows the
# zone; SQLite stores naive UTC text and has no zones, but Shanghai has been UTC+8 without
# summer time since 1991, before any lead.
_LOCAL_DAY = {
    "postgresql": "(l.created_at AT TIME ZONE 'Asia/Shanghai')::date",
    "sqlite": "date(l.created_at, '+8 hours')",
}


def upgrade() -> None:
    op.create_table('lead_funnel_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('department_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=False),
    sa.Column('leads', sa.Integer(), nullable=False),
    sa.Column('qualified', sa.Integer(), nullable=False),
    sa.Column('opportunities', sa.Integer(), nullable=False),
    sa.Column('opportunity_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('won', sa.Integer(), nullable=False),
    sa.Column('won_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('leads >= 0', name=op.f('ck_lead_funnel_day_leads_not_negative')),
    sa.PrimaryKeyConstraint('day', 'department_id', 'owner_id', name=op.f('pk_lead_funnel_day'))
    )
    day = _LOCAL_DAY[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO lead_funnel_day (day, department_id, owner_id, leads, qualified, "
        "opportunities, opportunity_amount, won, won_amount) "
        f"SELECT {day}, l.department_id, coalesce(l.owner_id, ''), count(*), "
        "count(l.qualified_at), count(o.id), coalesce(sum(o.expected_amount), 0), "
        "count(CASE WHEN o.stage = 'won' THEN 1 END), "
        "coalesce(sum(CASE WHEN o.stage = 'won' THEN o.won_amount END), 0) "
        "FROM lead l LEFT JOIN opportunity o ON o.lead_id = l.id "
        f"GROUP BY {day}, l.department_id, coalesce(l.owner_id, '')")
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_created_at_department_id_owner_id',
                              ['created_at', 'department_id', 'owner_id'], unique=False,
                              postgresql_include=['qualified_at', 'id'])


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_created_at_department_id_owner_id')
    op.drop_table('lead_funnel_day')
