"""The seasonal spread of a yearly amount over the twelve months.

Each month but the stated one gets its ratio of the amount rounded *down* to the cent; the
stated month gets what is left. The months then add up to the amount exactly, and no month
is ever negative (rounding half-up could push the others above the amount, e.g. 0.01 over
twelve equal ratios)."""

from decimal import ROUND_DOWN, Decimal

from app.core.money import CENT

MONTHS = range(1, 13)
HUNDRED = Decimal("100.00")


def spread(amount: Decimal, ratios: list[Decimal], remainder_month: int) -> list[Decimal]:
    """Twelve amounts, January first, adding up to `amount`."""
    assert len(ratios) == 12 and 1 <= remainder_month <= 12
    months = [(amount * ratio / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
              for ratio in ratios]
    others = sum(m for i, m in enumerate(months, 1) if i != remainder_month)
    months[remainder_month - 1] = amount - others
    return months
