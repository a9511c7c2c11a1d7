"""What a shipment and a return are worth, from the order lines' prices.

A line's shipped value is its pro-rata share of the order line's net and tax amounts by
quantity, rounded half-up to 0.01. Each shipment takes the difference between the shares
of the line's running shipped quantity after and before it, rather than its own rounded
share: three deliveries of 1 from an order line of 3 at 1.00 are then worth 0.33, 0.34
and 0.33, so the invoices of a fully shipped order add up to its total to the cent. A
return is valued the same way backwards, so what was invoiced less what was credited is
always the value of the quantity kept. The base-currency value is converted on the
order's running shipped value in the same manner, and adds up to the order's total_base.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from app.core.pricing import LineAmounts, pro_rata, to_base
from app.orders.models import Order, OrderLine


def share(line: OrderLine, quantity: Decimal) -> LineAmounts:
    """What `quantity` of the order line is worth."""
    net = pro_rata(line.net_amount, quantity, line.quantity)
    tax = pro_rata(line.tax_amount, quantity, line.quantity)
    return LineAmounts(net=net, tax=tax, total=net + tax)


def moved(line: OrderLine, before: Decimal, after: Decimal) -> LineAmounts:
    """The value of the line's shipped quantity going from `before` to `after`: shipped
    when it grows, returned when it shrinks (positive either way)."""
    low, high = share(line, min(before, after)), share(line, max(before, after))
    return LineAmounts(net=high.net - low.net, tax=high.tax - low.tax,
                       total=high.total - low.total)


def base_moved(order: Order, lines: Iterable[OrderLine], before: Mapping[int, Decimal],
               after: Mapping[int, Decimal]) -> Decimal:
    """The same movement of the whole order (order line id → shipped quantity, before
    and after) in the base currency."""
    lines = list(lines)

    def value(shipped: Mapping[int, Decimal]) -> Decimal:
        return sum((share(line, shipped[line.id]).total for line in lines if line.id is not None),
                   Decimal("0.00"))

    return abs(to_base(value(after), order.exchange_rate)
               - to_base(value(before), order.exchange_rate))
