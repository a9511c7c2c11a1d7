from datetime import datetime

from pydantic import BaseModel, Field

from app.core.money import Money
from app.core.pagination import Page


class TimelineEntry(BaseModel):
    kind: str = Field(description="quote, contract, order, delivery, receivable, payment, "
                                  "visit or complaint (more kinds may be added: ignore the "
                                  "ones you do not know)")
    id: int = Field(description="The document's id in its own resource (`/{kind}s/{id}`)")
    number: str = Field(description="Its business number (BJ-, HT-, DD-, FH-, YS-, HK-, BF-, TS-)")
    occurred_at: datetime = Field(description="When it was created; a visit: its planned "
                                              "time")
    status: str = Field(description="Its status now")
    amount: Money | None = Field(description="Including tax, in `currency`; none for a visit")
    currency: str | None
    summary: str | None = Field(description="Title, purpose, tracking number, invoice number "
                                            "or payer's reference")


class TimelinePage(Page[TimelineEntry]):
    pass
