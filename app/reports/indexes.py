"""Indexes the receivables reports and the daily figures read through, declared here beside
the queries that need them (the tables belong to their domains; app/models.py imports this
module so the metadata, Alembic and the tests see them)."""

from sqlalchemy import Index, text

from app.customers.models import Customer
from app.leads.models import Lead
from app.orders.models import Order
from app.receivables.models import Payment, Receivable

# The statuses that still owe money: what aging, the collection schedule and the cash
# forecast read. Paid and written-off receivables pile up over the years, so the indexes
# over open items are partial and stay the size of what is still owed.
OPEN_RECEIVABLE = "status IN ('open', 'partially_paid')"

receivable = Receivable.__table__  # type: ignore[attr-defined]

# The collection schedule in its order (rep, most overdue first, id): a page at any depth
# is one index range read from the cursor onwards.
Index("ix_receivable_open_owner_id_due_date_id", receivable.c.owner_id,
      receivable.c.due_date, receivable.c.id,
      postgresql_where=text(OPEN_RECEIVABLE), sqlite_where=text(OPEN_RECEIVABLE))
# Aging one department: every column the query reads is in the index (the grouping keys,
# the due date, the balance), so PostgreSQL answers from the index alone, in the rep's
# order; it also serves the schedule of one department.
Index("ix_receivable_open_department_id_owner_id_due_date", receivable.c.department_id,
      receivable.c.owner_id, receivable.c.due_date, receivable.c.customer_id,
      receivable.c.balance_base,
      postgresql_where=text(OPEN_RECEIVABLE), sqlite_where=text(OPEN_RECEIVABLE))

# The daily report's slices of one day, for every department at once (the department-first
# indexes serve one department).
Index("ix_sales_order_confirmed_at", Order.__table__.c.confirmed_at)  # type: ignore[attr-defined]
Index("ix_customer_created_at", Customer.__table__.c.created_at)  # type: ignore[attr-defined]
Index("ix_payment_received_on", Payment.__table__.c.received_on)  # type: ignore[attr-defined]

# The funnel's scan of a short range (longer ones read lead_funnel_day): the range, the
# visibility keys and the qualification, so PostgreSQL reads the cohort from the index
# alone (INCLUDE), and the id that joins the opportunity. SQLite has no INCLUDE; its index
# carries the rowid (the id) anyway.
_lead = Lead.__table__  # type: ignore[attr-defined]
Index("ix_lead_created_at_department_id_owner_id", _lead.c.created_at, _lead.c.department_id,
      _lead.c.owner_id, postgresql_include=["qualified_at", "id"])
