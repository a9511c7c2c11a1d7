"""complaint and visit list sorts

`GET /complaints` and `GET /visits` are sorted lists now (app.core.pagination.Sorts):
complaints by `created_at`, `received_at` or `ack_due_at`, visits by `created_at` or
`planned_at`, each with the id as tiebreaker. A page reads (scope, key, id) from the cursor
on, so each key is indexed company-wide and under the visibility scopes a rep (owner_id)
and a head (department_id) read through; a head also sees the complaints their department
investigates, by the default sort (responsible_department_id, created_at, id). Visits'
(planned_at, id) existed already (the old date-range filter). Declared in
app/list_indexes.py.

Revision ID: a1450c5addf2
Revises: ea7f9e59f95c
Create Date: 2026-12-01 10:38:12.791074+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'a1450c5addf2'
down_revision: str | Sequence[str] | None = 'ea7f9e59f95c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "complaint": [
        ("created_at", "id"), ("owner_id", "created_at", "id"),
        ("department_id", "created_at", "id"), ("responsible_department_id", "created_at", "id"),
        ("received_at", "id"), ("owner_id", "received_at", "id"),
        ("department_id", "received_at", "id"),
        ("ack_due_at", "id"), ("owner_id", "ack_due_at", "id"),
        ("department_id", "ack_due_at", "id"),
    ],
    "customer_visit": [
        ("created_at", "id"), ("owner_id", "created_at", "id"),
        ("department_id", "created_at", "id"),
        ("owner_id", "planned_at", "id"), ("department_id", "planned_at", "id"),
    ],
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in reversed(indexes):
            op.drop_index(f"ix_{table}_{'_'.join(columns)}", table_name=table)
