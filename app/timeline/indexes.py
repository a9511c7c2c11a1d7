"""Indexes the customer timeline reads through, on the documents' tables (declared here
beside the queries that need them; app/models.py imports this module so the metadata,
Alembic and the tests see them). Each source of app/timeline/sources.py reads one range of
its (customer_id, time, id) index from the cursor on, whatever the page's depth. Visits
declare theirs in their own model."""

from sqlalchemy import Index

from app.contracts.models import Contract
from app.deliveries.models import Delivery
from app.orders.models import Order
from app.quotes.models import Quote
from app.receivables.models import Payment, Receivable

for model in (Quote, Contract, Order, Delivery, Receivable, Payment):
    table = model.__table__  # type: ignore[union-attr]
    Index(f"ix_{table.name}_customer_id_created_at_id", table.c.customer_id,
          table.c.created_at, table.c.id)
