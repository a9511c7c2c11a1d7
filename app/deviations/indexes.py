"""The index the deviation report read sales through until it summed their running monthly
totals (`sales_month_total`); it still serves range reads of the sales that stand by
confirmation instant (the daily report's day, the rollup's backfill). The table belongs to
orders; app/models.py imports this module so the metadata, Alembic and the tests see it."""

from sqlalchemy import Index, text

from app.orders.models import Order

# Sales that stand (not cancelled). Ordered by the confirmation
# instant, with the department and the amount in the index, so a period of every department
# is one index range read without the table (an index-only scan once vacuumed).
STANDING = "status <> 'cancelled'"

orders = Order.__table__  # type: ignore[attr-defined]
Index("ix_sales_order_standing_confirmed_at", orders.c.confirmed_at, orders.c.department_id,
      orders.c.total_base,
      postgresql_where=text(STANDING), sqlite_where=text(STANDING))
