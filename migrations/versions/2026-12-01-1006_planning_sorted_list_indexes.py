"""Sorted list indexes for the planning documents.

Sales plans and targets, expense budgets with their expenses and overrides, growth targets
and deviation analyses now sort like every other list (a field the client picks, newest
first by default, the id as tiebreaker): each sort is a keyset range read over
(scope, key, id). Every sort key gets an index per visibility scope (department; a rep's
own targets; the company), and a budget's expenses and overrides one within their budget;
see app/list_indexes.py.

The (scope, id) indexes the id-ordered lists read through are dropped: the new ones start
with the same scope column, so they serve lookups by it too.

Revision ID: ea7f9e59f95c
Revises: 82c8adcba035
Create Date: 2026-12-01 10:06:24.477391+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'ea7f9e59f95c'
down_revision: str | Sequence[str] | None = '82c8adcba035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (sort keys, scope columns, also company-wide)
SORTED = (
    ("sales_plan", ("created_at", "period", "target_amount"), ("department_id",), True),
    ("sales_target", ("created_at", "amount"), ("owner_id", "department_id"), True),
    ("expense_budget", ("created_at", "year", "total"), ("department_id",), True),
    ("growth_target", ("created_at", "year", "growth_rate"), ("department_id",), True),
    ("deviation_analysis", ("created_at", "year", "deviation", "actual"), ("department_id",),
     True),
    ("expense", ("created_at", "spent_on", "amount"), ("budget_id",), False),
    ("expense_override", ("created_at", "amount"), ("budget_id",), False),
)
# The id-ordered lists' indexes the sorted ones replace.
REPLACED = (
    ("sales_target", ["owner_id", "id"]), ("sales_target", ["department_id", "id"]),
    ("expense_budget", ["department_id", "id"]), ("expense", ["budget_id", "id"]),
    ("expense_override", ["budget_id", "id"]), ("deviation_analysis", ["department_id", "id"]),
)


def _indexes() -> list[tuple[str, str, list[str]]]:
    found = []
    for table, keys, scopes, company_wide in SORTED:
        for key in keys:
            for columns in ([[key, "id"]] if company_wide else []) + [
                    [scope, key, "id"] for scope in scopes]:
                found.append((f"ix_{table}_{'_'.join(columns)}", table, columns))
    return found


def upgrade() -> None:
    for table, columns in REPLACED:
        op.drop_index(f"ix_{table}_{'_'.join(columns)}", table_name=table)
    for name, table, columns in _indexes():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_indexes()):
        op.drop_index(name, table_name=table)
    for table, columns in REPLACED:
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, columns, unique=False)
