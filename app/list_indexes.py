"""Indexes the sorted lists read through (app.core.pagination.Sorts), declared in one place
beside the rule that picks them (the tables belong to their domains; app/models.py imports
this module so the metadata, Alembic and the tests see them).

A page is `WHERE <visibility and filters> AND (key, id) < (cursor) ORDER BY key, id LIMIT n`:
an index on (scope column, key, id) answers it with one range read from the cursor onwards,
whatever the depth, scanned forwards or backwards for either direction. Every list's
default sort (`-created_at`) gets one per visibility scope: a rep's own rows (owner_id), a
head's department (department_id) and the company; the other sort keys a screen uses most
get the company-wide (key, id); the planning documents, at the end, are indexed for every
sort key."""

from typing import Any

from sqlalchemy import Index

from app.budgets.models import Expense, ExpenseBudget, ExpenseOverride
from app.complaints.models import Complaint
from app.contracts.models import Contract
from app.customers.models import Customer
from app.deliveries.models import Delivery
from app.deviations.models import DeviationAnalysis, GrowthTarget
from app.leads.models import Lead
from app.opportunities.models import Opportunity
from app.orders.models import Order
from app.plans.models import SalesPlan, SalesTarget
from app.quotes.models import Quote
from app.receivables.models import Payment, Receivable
from app.visits.models import CustomerVisit


def _sorted_by(model: Any, key: str, *scopes: str, company_wide: bool = True) -> None:
    table = model.__table__
    unscoped = [(key, "id")] if company_wide else []
    for columns in [*unscoped, *((scope, key, "id") for scope in scopes)]:
        Index(f"ix_{table.name}_{'_'.join(columns)}", *(table.c[c] for c in columns))


for _model in (Lead, Opportunity, Quote, Contract, Customer, Order, Delivery, Receivable,
               Payment):
    _sorted_by(_model, "created_at", "owner_id", "department_id")

for _model, _key in ((Opportunity, "expected_close_date"), (Opportunity, "expected_amount"),
                     (Quote, "total"), (Contract, "total"), (Order, "total"),
                     (Customer, "name"), (Receivable, "due_date"), (Receivable, "amount"),
                     (Payment, "received_on"), (Payment, "amount")):
    _sorted_by(_model, _key)

# The planning documents. Their tables stay small (a row per department and period, a rep
# per plan), so every sort key gets the scopes its readers have: a head's department (a
# deputy GM's departments), a rep's own targets, the company. A budget's expenses and
# overrides are only ever listed within their budget.
PLANNING: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (SalesPlan, ("created_at", "period", "target_amount"), ("department_id",)),
    (SalesTarget, ("created_at", "amount"), ("owner_id", "department_id")),
    (ExpenseBudget, ("created_at", "year", "total"), ("department_id",)),
    (GrowthTarget, ("created_at", "year", "growth_rate"), ("department_id",)),
    (DeviationAnalysis, ("created_at", "year", "deviation", "actual"), ("department_id",)),
)
WITHIN_BUDGET: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Expense, ("created_at", "spent_on", "amount")),
    (ExpenseOverride, ("created_at", "amount")),
)
for _planned, _keys, _scopes in PLANNING:
    for _key in _keys:
        _sorted_by(_planned, _key, *_scopes)
for _spending, _keys in WITHIN_BUDGET:
    for _key in _keys:
        _sorted_by(_spending, _key, "budget_id", company_wide=False)
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
