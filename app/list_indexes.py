"""Indexes the sorted lists read through (app.core.pagination.Sorts), declared in one place
beside the rule that picks them (the tables belong to their domains; app/models.py imports
this module so the metadata, Alembic and the tests see them).

A page is `WHERE <visibility and filters> AND (key, id) < (cursor) ORDER BY key, id LIMIT n`:
an index on (scope column, key, id) answers it with one range read from the cursor onwards,
whatever the depth, scanned forwards or backwards for either direction. Every list's
default sort (`-created_at`) gets one per visibility scope: a rep's own rows (owner_id), a
head's department (department_id) and the company; the other sort keys a screen uses most
get the company-wide (key, id)."""

from typing import Any

from sqlalchemy import Index

from app.complaints.models import Complaint
from app.contracts.models import Contract
from app.customers.models import Customer
from app.deliveries.models import Delivery
from app.leads.models import Lead
from app.opportunities.models import Opportunity
from app.orders.models import Order
from app.quotes.models import Quote
from app.receivables.models import Payment, Receivable
from app.visits.models import CustomerVisit


def _sorted_by(model: Any, key: str, *scopes: str) -> None:
    table = model.__table__
    for columns in [(key, "id"), *((scope, key, "id") for scope in scopes)]:
        Index(f"ix_{table.name}_{'_'.join(columns)}", *(table.c[c] for c in columns))


for _model in (Lead, Opportunity, Quote, Contract, Customer, Order, Delivery, Receivable,
               Payment):
    _sorted_by(_model, "created_at", "owner_id", "department_id")

for _model, _key in ((Opportunity, "expected_close_date"), (Opportunity, "expected_amount"),
                     (Quote, "total"), (Contract, "total"), (Order, "total"),
                     (Customer, "name"), (Receivable, "due_date"), (Receivable, "amount"),
                     (Payment, "received_on"), (Payment, "amount")):
    _sorted_by(_model, _key)

# Complaints and visits: fewer rows, but each of their sorts is a screen's own (a desk by
# acknowledgement deadline, a rep's visits by planned time), so each key gets every scope.
# A head also sees the complaints their department investigates: that scope reads by the
# default sort.
_screen_sorts: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Complaint, ("created_at", "received_at", "ack_due_at")),
    (CustomerVisit, ("created_at", "planned_at")))
for _table_model, _keys in _screen_sorts:
    for _key in _keys:
        _sorted_by(_table_model, _key, "owner_id", "department_id")
_complaints = Complaint.__table__  # type: ignore[attr-defined]
Index("ix_complaint_responsible_department_id_created_at_id",
      _complaints.c.responsible_department_id, _complaints.c.created_at, _complaints.c.id)
