"""Quote lines priced from the product list, each line's effective discount and floor
check, and the quote's totals; Decimal throughout, amounts half-up to 0.01."""

from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pricing import HUNDRED, apply_totals, line_amounts
from app.products.models import Product
from app.products.service import active_by_ids
from app.quotes.errors import UnknownProduct
from app.quotes.models import Quote, QuoteLine
from app.quotes.schemas import QuoteLineIn

PRICE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")


def list_price_in(product: Product, exchange_rate: Decimal) -> Decimal:
    """The list price (kept in the base currency) in the quote's currency."""
    if exchange_rate == 1:
        return product.list_price
    return (product.list_price / exchange_rate).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def effective_discount(*, list_price: Decimal, unit_price: Decimal,
                       discount_percent: Decimal) -> Decimal:
    """How far below the list price the line sells, override and discount together. Rounded
    up, so a fraction of a cent never slips a discount into a lower band."""
    if list_price <= 0:
        return Decimal("0.00")
    net_unit = unit_price * (HUNDRED - discount_percent) / HUNDRED
    percent = (HUNDRED - net_unit * HUNDRED / list_price).quantize(PERCENT_PLACES,
                                                                   rounding=ROUND_UP)
    return min(max(percent, Decimal("0.00")), HUNDRED)


def is_below_floor(*, unit_price: Decimal, discount_percent: Decimal, exchange_rate: Decimal,
                   floor_price: Decimal) -> bool:
    """The price the customer pays per unit, in the base currency, against the floor:
    exactly the floor is allowed, a cent below is not."""
    return unit_price * (HUNDRED - discount_percent) / HUNDRED * exchange_rate < floor_price


async def price_lines(session: AsyncSession, lines: list[QuoteLineIn],
                      exchange_rate: Decimal) -> list[QuoteLine]:
    products, missing = await active_by_ids(session, {line.product_id for line in lines})
    if missing:
        raise UnknownProduct(f"Unknown or inactive products: {missing}.", product_ids=missing)
    priced = []
    for number, line in enumerate(lines, 1):
        product = products[line.product_id]
        list_price = list_price_in(product, exchange_rate)
        unit_price = line.unit_price if line.unit_price is not None else list_price
        tax_rate = line.tax_rate if line.tax_rate is not None else product.tax_rate
        amounts = line_amounts(quantity=line.quantity, unit_price=unit_price,
                               discount_percent=line.discount_percent, tax_rate=tax_rate)
        assert product.id is not None  # loaded from the database
        # quote_id: the caller sets it once the quote has its id.
        priced.append(QuoteLine(  # type: ignore[call-arg]
            line_no=number, product_id=product.id, description=line.description or product.name,
            quantity=line.quantity, list_price=list_price, unit_price=unit_price,
            discount_percent=line.discount_percent,
            effective_discount_percent=effective_discount(
                list_price=list_price, unit_price=unit_price,
                discount_percent=line.discount_percent),
            floor_price=product.floor_price,
            below_floor=is_below_floor(unit_price=unit_price,
                                       discount_percent=line.discount_percent,
                                       exchange_rate=exchange_rate,
                                       floor_price=product.floor_price),
            tax_rate=tax_rate, net_amount=amounts.net, tax_amount=amounts.tax,
            total_amount=amounts.total))
    return priced


def apply_quote_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    apply_totals(quote, lines)
    quote.max_discount_percent = max((line.effective_discount_percent for line in lines),
                                     default=Decimal("0.00"))
    quote.below_floor = any(line.below_floor for line in lines)
