"""The columns the lists' `?q=` searches (app.core.search.text_contains), each with its
trigram index on PostgreSQL, declared in one place like app/list_indexes.py (the tables
belong to their domains; app/models.py imports this module so the metadata, Alembic and
the tests see them). Beside each, PostgreSQL has a stored gram column `<column>_grams` and
its GIN index, which the migrations alone create: 4e5c3d51bde6 and 49e2abf08273 for the
columns of their lists, c3a9e1f47b20 for the documents' `customer_name`; a column added
here needs a migration that creates both its indexes and its gram column the same way. A
column searched by a list and missing here is a scan of its table on every search."""

from typing import Any

from app.complaints.models import Complaint
from app.contracts.models import Contract
from app.core.search import search_indexes
from app.customers.models import Customer
from app.leads.models import Lead
from app.opportunities.models import Opportunity
from app.products.models import Product
from app.quotes.models import Quote
from app.visits.models import CustomerVisit

SEARCHED: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Customer, ("name",)),
    (Lead, ("company", "contact_name")),
    (Opportunity, ("title", "customer_name")),
    (Quote, ("number", "title", "customer_name")),
    (Contract, ("number", "title", "customer_name")),
    (Complaint, ("number", "title", "description")),
    (CustomerVisit, ("number", "purpose", "place")),
    (Product, ("name", "sku")),
)
for _model, _columns in SEARCHED:
    search_indexes(_model.__table__, *_columns)
