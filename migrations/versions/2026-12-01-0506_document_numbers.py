"""document numbers

Contracts and quotes get their business numbers (HT-2026-000123, BJ-2026-000001; see
app/core/numbering.py), and the counters that hand out the next ones: one row per document
kind and year in `document_counter`.

Existing documents are numbered here, so that every one has a number before the column
becomes NOT NULL: first versions in id order, per year of their creation in the company's
time zone (Asia/Shanghai, the calendar's zone at this revision); later revisions (contract
amendments, quote revisions) take the number of their first version, as new ones do. The
prefixes are the ones configured when the upgrade runs (SALESFLOW_NUMBER_PREFIXES, else HT
and BJ), so old and new documents are numbered alike. Each year's counter is left at the
last number given, so the service carries on from there without a gap or a repeat.

On SQLite making the column NOT NULL rebuilds both tables, which other tables reference;
env.py runs SQLite migrations with foreign keys off, and checks them afterwards, for that.

Revision ID: 41b312c5483c
Revises: a041f51e723b
Create Date: 2026-12-01 05:06:02.811114+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '41b312c5483c'
down_revision: str | Sequence[str] | None = 'a041f51e723b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMPANY_TZ = ZoneInfo('Asia/Shanghai')
# Document kind -> its table (the counter rows are keyed by kind).
NUMBERED = {'contract': 'contract', 'quote': 'quote'}


def upgrade() -> None:
    op.create_table('document_counter',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_value > 0', name=op.f('ck_document_counter_last_value_positive')),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_document_counter'))
    )
    prefixes = _prefixes()
    for kind, table in NUMBERED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('number', sa.String(length=32), nullable=True))
        _number_existing(kind, table, prefixes[kind])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('number', existing_type=sa.String(length=32), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_number'),
                                              ['number', 'revision'])


def downgrade() -> None:
    for table in reversed(NUMBERED.values()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_number'), type_='unique')
            batch_op.drop_column('number')
    op.drop_table('document_counter')


def _prefixes() -> dict[str, str]:
    # The service's own settings, read as it reads them (environment, .env), and validated.
    from app.core.config import Settings

    return Settings().number_prefixes


def _number_existing(kind: str, table: str, prefix: str) -> None:
    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column('root_id', sa.Integer),
                    sa.column('created_at', sa.DateTime(timezone=True)),
                    sa.column('number', sa.String))
    numbers: dict[int, str] = {}
    last: dict[int, int] = {}
    assigned = []
    for row_id, root_id, created_at in bind.execute(
            sa.select(rows.c.id, rows.c.root_id, rows.c.created_at).order_by(rows.c.id)):
        if root_id is not None and root_id != row_id and root_id in numbers:
            number = numbers[root_id]
        else:
            year = _local_year(created_at)
            last[year] = last.get(year, 0) + 1
            number = numbers[row_id] = f'{prefix}-{year:04d}-{last[year]:06d}'
        assigned.append({'row_id': row_id, 'number': number})
    if assigned:
        bind.execute(rows.update().where(rows.c.id == sa.bindparam('row_id'))
                     .values(number=sa.bindparam('number')), assigned)
    if last:
        counters = sa.table('document_counter', sa.column('kind', sa.String),
                            sa.column('year', sa.Integer), sa.column('last_value', sa.Integer))
        bind.execute(counters.insert(), [{'kind': kind, 'year': year, 'last_value': value}
                                         for year, value in sorted(last.items())])


def _local_year(created_at: datetime) -> int:
    # SQLite hands back the stored UTC time without its zone.
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return created_at.astimezone(COMPANY_TZ).year
