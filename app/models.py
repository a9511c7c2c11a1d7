"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from app.audit.models import AuditEntry, AuditSealState
from app.core.db import metadata
from app.core.idempotency import IdempotencyRecord
from app.customers.models import Customer
from app.departments.models import Department
from app.events.models import Event
from app.products.models import Product

__all__ = [
    "AuditEntry", "AuditSealState", "Customer", "Department", "Event", "IdempotencyRecord",
    "Product", "metadata",
]
