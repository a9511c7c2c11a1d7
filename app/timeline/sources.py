"""The sources of a customer's timeline: one small select per kind of document, each with
the columns an entry shows. A new kind is one more `TimelineSource` in `SOURCES`, with an
index on (customer_id, its time, id) in indexes.py or its own model."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    String,
    cast,
    literal,
    null,
    select,
    tuple_,
)
from sqlalchemy.sql.functions import coalesce
from sqlmodel import col

from app.complaints.models import Complaint
from app.complaints.service import visible_complaints
from app.contracts.models import Contract
from app.core.db import UTCDateTime
from app.core.permissions import visible
from app.core.security import Principal
from app.deliveries.models import Delivery
from app.orders.models import Order
from app.quotes.models import Quote
from app.receivables.models import Payment, Receivable
from app.visits.models import CustomerVisit


@dataclass(frozen=True)
class TimelineSource:
    """One kind of entry. `model` must have id, number, customer_id, status (or give
    `status`), owner_id and department_id (its visibility, as its own lists apply it)."""

    kind: str
    model: Any
    occurred_at: Any  # the column the entry is dated by
    summary: Any  # a text expression over the model's columns
    amount: Any = None
    currency: Any = None
    status: Any = None
    # Who sees an entry, when the kind's own lists say more than owner and department.
    visibility: Callable[[Principal], ColumnElement[bool]] | None = None

    def select(self, principal: Principal, customer_id: int, after: "Keyset | None",
               limit: int) -> Any:
        """This kind's entries after the cursor, newest first, at most `limit`: a range
        read of its (customer_id, time, id) index."""
        model = self.model
        statement = (
            select(literal(self.kind, String(20)).label("kind"), col(model.id).label("id"),
                   col(model.number).label("number"),
                   col(self.occurred_at).label("occurred_at"),
                   cast(self.status if self.status is not None else model.status,
                        String(40)).label("status"),
                   (self.amount if self.amount is not None
                    else cast(null(), Numeric(18, 2))).label("amount"),
                   (self.currency if self.currency is not None
                    else cast(null(), String(3))).label("currency"),
                   cast(self.summary, String(500)).label("summary"))
            .where(col(model.customer_id) == customer_id,
                   self.visibility(principal) if self.visibility is not None
                   else visible(principal, owner_column=model.owner_id,
                                department_column=model.department_id)))
        if after is not None:
            statement = statement.where(after.before(self))
        return (statement.order_by(col(self.occurred_at).desc(), col(model.id).desc())
                .limit(limit))


@dataclass(frozen=True)
class Keyset:
    """A position in the timeline's order (occurred_at, kind, id), all descending."""

    occurred_at: Any
    kind: str
    id: int

    def before(self, source: TimelineSource) -> ColumnElement[bool]:
        """(occurred_at, kind, id) < this position, for one source: its kind is a constant
        there, so the comparison becomes one that the source's index answers."""
        at, entry_id = col(source.occurred_at), col(source.model.id)
        if source.kind < self.kind:  # same time: every entry of this kind comes after
            return at <= self.occurred_at
        if source.kind > self.kind:  # same time: every entry of this kind came before
            return at < self.occurred_at
        # A row comparison, not an OR: PostgreSQL reads it as one index range.
        return tuple_(at, entry_id) < tuple_(literal(self.occurred_at, UTCDateTime()),
                                             literal(self.id, Integer()))


SOURCES: tuple[TimelineSource, ...] = (
    # The first source's columns type the union's: it has an amount (a money column).
    TimelineSource("quote", Quote, Quote.created_at, summary=col(Quote.title),
                   amount=Quote.total, currency=Quote.currency),
    TimelineSource("contract", Contract, Contract.created_at, summary=col(Contract.title),
                   amount=Contract.total, currency=Contract.currency),
    TimelineSource("order", Order, Order.created_at, summary=col(Order.title),
                   amount=Order.total, currency=Order.currency),
    TimelineSource("delivery", Delivery, Delivery.created_at,
                   summary=coalesce(col(Delivery.carrier) + " " + col(Delivery.tracking_number),
                                    col(Delivery.ship_to)),
                   amount=Delivery.shipped_total, currency=Delivery.currency),
    TimelineSource("receivable", Receivable, Receivable.created_at,
                   summary=coalesce(col(Receivable.invoice_number),
                                    cast(col(Receivable.source), String(20))),
                   amount=Receivable.amount, currency=Receivable.currency),
    # A payment has no status of its own: it was received.
    TimelineSource("payment", Payment, Payment.created_at,
                   summary=cast(col(Payment.method), String(20)) + " "
                   + col(Payment.external_reference),
                   status=literal("received", String(20)),
                   amount=Payment.amount, currency=Payment.currency),
    # A visit is dated by its planned time: the timeline shows when it happens.
    TimelineSource("visit", CustomerVisit, CustomerVisit.planned_at,
                   summary=col(CustomerVisit.purpose)),
    # A complaint is visible as its own list shows it (the investigating department too).
    TimelineSource("complaint", Complaint, Complaint.created_at,
                   summary=col(Complaint.title),
                   visibility=visible_complaints),
)
KINDS = frozenset(source.kind for source in SOURCES)
