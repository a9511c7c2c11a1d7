"""delivery status type, delivery values and date indexes

On PostgreSQL, delivery.status gets an enum type of its own, `salesdeliverystatus`: the
previous revision declared it as `deliverystatus`, a name the webhook deliveries' status
type already had, so the table was created with that type (pending, sending, delivered,
failed) and refused every delivery ('planned'). SQLite keeps the column as it is.

What a shipment is worth, kept where finance reads it: each delivery line's share of its
order line's net, tax and total (set when the delivery ships), and the value of each
return in the order's currency and in the base currency (what a credit note carries).
Indexes for the delivery list's date filters (planned day, shipping day).

The new amounts are NOT NULL; rows that exist already (none outside a development
database: deliveries had no API before this revision) get 0 through a server default
that is dropped again, as the models declare none.

Revision ID: 9849d957ca93
Revises: fc392df2c800
Create Date: 2026-12-01 05:04:38.871459+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '9849d957ca93'
down_revision: str | Sequence[str] | None = 'fc392df2c800'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINE_AMOUNTS = ('net_amount', 'tax_amount', 'total_amount')
RETURN_AMOUNTS = ('total', 'total_base')


def _money(name: str) -> sa.Column:
    # 0 is zero on both databases (SQLite keeps money as integer minor units).
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False,
                     server_default=sa.text('0'))


STATUSES = ('planned', 'shipped', 'delivered', 'cancelled')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        postgresql.ENUM(*STATUSES, name='salesdeliverystatus').create(op.get_bind())
        op.execute('ALTER TABLE delivery ALTER COLUMN status TYPE salesdeliverystatus '
                   'USING status::text::salesdeliverystatus')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_planned_date_id', ['planned_date', 'id'], unique=False)
        batch_op.create_index('ix_delivery_shipped_on_id', ['shipped_on', 'id'], unique=False)

    for table, names in (('delivery_line', LINE_AMOUNTS), ('delivery_return', RETURN_AMOUNTS)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in names:
                batch_op.add_column(_money(name))
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in names:
                batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('delivery_return', schema=None) as batch_op:
        for name in reversed(RETURN_AMOUNTS):
            batch_op.drop_column(name)

    with op.batch_alter_table('delivery_line', schema=None) as batch_op:
        for name in reversed(LINE_AMOUNTS):
            batch_op.drop_column(name)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_shipped_on_id')
        batch_op.drop_index('ix_delivery_planned_date_id')

    if op.get_bind().dialect.name == 'postgresql':
        # Back to the shared type of the previous revision, which holds no planned, shipped
        # or cancelled delivery: only a database without such deliveries goes back.
        op.execute('ALTER TABLE delivery ALTER COLUMN status TYPE deliverystatus '
                   'USING status::text::deliverystatus')
        postgresql.ENUM(name='salesdeliverystatus').drop(op.get_bind())
