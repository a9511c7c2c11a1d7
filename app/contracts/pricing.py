"""Line and document totals in Decimal, each amount rounded half-up to 0.01."""

from dataclasses import dataclass
from decimal import Decimal

from app.core.money import round_money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal,
                 tax_rate: Decimal) -> LineAmounts:
    net = round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    tax = round_money(net * tax_rate)
    return LineAmounts(net=net, tax=tax, total=net + tax)


def to_base(total: Decimal, exchange_rate: Decimal) -> Decimal:
    return round_money(total * exchange_rate)
