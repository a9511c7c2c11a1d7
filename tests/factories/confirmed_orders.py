"""Confirmed orders written straight to the tables, for the deliveries' tests: the orders
API is built elsewhere, and a delivery only needs an order that review has confirmed."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit, utcnow
from app.core.numbering import next_number
from app.core.pricing import apply_totals, line_amounts
from app.customers.models import Customer
from app.orders import month_totals
from app.orders.models import Order, OrderLine, OrderStatus
from app.products.models import Product
from tests.factories.customers import create_customer
from tests.factories.products import create_product


@dataclass(frozen=True)
class Line:
    """An order line: its product (created when None), quantity and prices."""

    quantity: str = "10"
    unit_price: str = "100.00"
    tax_rate: str = "0.13"
    discount_percent: str = "0"
    product: Product | None = None
    planned_delivery_date: date | None = None


async def create_confirmed_order(
    session: AsyncSession, *, customer: Customer | None = None, lines: list[Line] | None = None,
    currency: str = "CNY", exchange_rate: str = "1", delivery_address: str | None = "宁波市北仑区",
    requested_date: date | None = None, status: OrderStatus = OrderStatus.confirmed,
    payment_terms_days: int = 30, confirmed_at: datetime | None = None,
) -> Order:
    """An order of `customer` (owned by its rep, in its department), priced as the orders
    service prices one, in `status` (confirmed by default, as after its review), confirmed
    at `confirmed_at` (now unless given; never for a draft)."""
    customer = customer or await create_customer(session)
    priced = []
    for number, line in enumerate(lines or [Line()], 1):
        product = line.product or await create_product(session)
        amounts = line_amounts(quantity=Decimal(line.quantity), unit_price=Decimal(line.unit_price),
                               discount_percent=Decimal(line.discount_percent),
                               tax_rate=Decimal(line.tax_rate))
        priced.append(OrderLine(  # type: ignore[call-arg]  # order_id: set below
            line_no=number, product_id=product.id, description=product.name,
            quantity=Decimal(line.quantity), unit_price=Decimal(line.unit_price),
            discount_percent=Decimal(line.discount_percent), tax_rate=Decimal(line.tax_rate),
            net_amount=amounts.net, tax_amount=amounts.tax, total_amount=amounts.total,
            planned_delivery_date=line.planned_delivery_date))
    order = Order(
        number=await next_number(session, "order", on=utcnow().date()),
        customer_id=customer.id, department_id=customer.department_id,
        owner_id=customer.owner_id, title="水泵订单", delivery_address=delivery_address,
        requested_date=requested_date, payment_terms_days=payment_terms_days,
        currency=currency, exchange_rate=Decimal(exchange_rate), status=status,
        confirmed_at=confirmed_at or utcnow() if status != OrderStatus.draft else None,
        created_by=customer.owner_id, subtotal=Decimal(0), tax_total=Decimal(0),
        total=Decimal(0), total_base=Decimal(0))
    apply_totals(order, priced)
    session.add(order)
    await session.flush()
    for line in priced:
        line.order_id = order.id
    session.add_all(priced)
    # As its confirmation does: it counts in its rep's monthly totals (unless cancelled).
    month_totals.track_order(session, order, None)
    await commit(session)
    return order


async def fresh_order(session: AsyncSession, order_id: int) -> tuple[Order, list[OrderLine]]:
    """The order and its lines as the database has them now (the API changed them)."""
    order = (await session.execute(select(Order).where(col(Order.id) == order_id)
                                   .execution_options(populate_existing=True))).scalar_one()
    lines = (await session.execute(
        select(OrderLine).where(col(OrderLine.order_id) == order_id)
        .order_by(col(OrderLine.line_no)).execution_options(populate_existing=True))).scalars()
    return order, list(lines)
