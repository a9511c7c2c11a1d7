from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.core.money import Money, PercentOut
from app.core.permissions import Role
from app.customers.models import CreditRating

HoldReason = Literal["over_limit", "rating_d"]


class CreditCheck(BaseModel):
    """The credit check of an order's submission (SPEC §5), as the order keeps it: enough
    for anyone reading the order to see why it was held or passed, and who may release it."""

    outcome: Literal["passed", "held"]
    reasons: list[HoldReason] = Field(
        description="What would hold the order: `over_limit` (exposure with this order above "
                    "the credit limit), `rating_d` (the customer is rated D); present also "
                    "when full prepayment waived them")
    waived_by_prepayment: bool = Field(
        description="The order is paid in full before delivery, so it needs no credit")
    credit_rating: CreditRating
    credit_limit: Money
    receivables_open: Money = Field(description="Open receivable balances")
    orders_uninvoiced: Money = Field(description="Confirmed orders not yet invoiced")
    orders_in_review: Money = Field(description="Other orders submitted and not yet decided")
    exposure: Money = Field(description="The three components' sum, before this order")
    order_amount: Money = Field(description="This order's total in CNY")
    exposure_after: Money = Field(description="`exposure` + `order_amount`")
    amount_over: Money = Field(description="How far `exposure_after` is above the limit "
                                           "(0.00 when within it)")
    prepayment_percent: PercentOut
    releasable_by: list[Role] = Field(description="Roles whose approval releases a held order "
                                                  "(the policy's credit release stage)")
    checked_at: datetime


class ExposureRead(BaseModel):
    """A customer's credit position now, in CNY."""

    customer_id: int
    credit_rating: CreditRating
    credit_limit: Money
    receivables_open: Money = Field(description="Open receivable balances")
    orders_uninvoiced: Money = Field(description="Confirmed orders not yet invoiced")
    orders_in_review: Money = Field(description="Orders submitted and not yet decided "
                                                "(reserved, so simultaneous submissions see "
                                                "each other)")
    exposure: Money = Field(description="The three components' sum")
    available_credit: Money = Field(description="What remains of the limit (0.00 when the "
                                                "exposure is at or above it)")
    amount_over_limit: Money = Field(description="How far the exposure is above the limit")
    updated_at: datetime | None = Field(description="The last movement; null when none yet")
