"""Indexes the plan progress report read through until it summed the running monthly totals
(`sales_month_total`, app/orders/month_totals.py), on the orders' and payments' tables,
declared beside the queries that needed them (as app/reports/indexes.py does; app/models.py
imports this module so the metadata, Alembic and the tests see them).

With the department, the rep and the date leading, and the summed amount (and the order's
status) in the index, each rep's slice of orders or payments is one index range, read from
the index alone on PostgreSQL. No report reads through them now; dropping them (and what
they cost every order and payment written) is left to a change that measures it."""

from sqlalchemy import Index

from app.orders.models import Order
from app.receivables.models import Payment

order = Order.__table__  # type: ignore[attr-defined]
payment = Payment.__table__  # type: ignore[attr-defined]

Index("ix_sales_order_department_id_owner_id_confirmed_at", order.c.department_id,
      order.c.owner_id, order.c.confirmed_at, order.c.status, order.c.total_base)
Index("ix_payment_department_id_owner_id_received_on", payment.c.department_id,
      payment.c.owner_id, payment.c.received_on, payment.c.amount_base)
