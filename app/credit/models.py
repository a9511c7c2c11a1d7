from datetime import datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow


class CustomerCredit(SQLModel, table=True):
    """A customer's running exposure (SPEC §5), in the base currency, kept by the commands
    that move it. Credit checks lock this row, so two orders of one customer are checked
    one after the other while orders of other customers go on in parallel."""

    __tablename__ = "customer_credit"

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    # Open receivable balances (issued and not paid or written off).
    receivables_open: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    # Confirmed orders not yet invoiced (the part of their totals not issued as receivables).
    orders_uninvoiced: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    # Orders in review (submitted, or on credit hold): reserved at submission, so a second
    # order checked at the same moment sees the first.
    orders_in_review: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
