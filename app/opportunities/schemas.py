from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from app.approvals.schemas import ApprovalRead
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import Money, MoneyIn
from app.core.pagination import Page
from app.core.schemas import ReadModel, UpdateModel, WriteModel
from app.opportunities.models import OpportunityGrade, OpportunityStage, ProposalStatus

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Probability = Annotated[int, Field(ge=0, le=100, description="Percent; defaults to the "
                                                             "stage's probability")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class OpportunityFields(WriteModel):
    title: Title
    grade: OpportunityGrade = Field(description="高/中/低: high and medium proposals are reviewed")
    expected_amount: MoneyIn = Field(description="Including tax, in CNY")
    expected_close_date: date


class OpportunityCreate(OpportunityFields):
    customer_id: Id
    probability: Probability | None = None


class OpportunityUpdate(UpdateModel):
    title: Title | None = None
    grade: OpportunityGrade | None = None
    expected_amount: MoneyIn | None = None
    expected_close_date: date | None = None
    probability: Probability | None = None


class StageBody(WriteModel):
    stage: OpportunityStage = Field(description="The next stage, or an earlier one; won and "
                                                "lost have their own actions")


class ProposalBody(WriteModel):
    summary: Annotated[str, StringConstraints(min_length=1, max_length=20000)] = Field(
        description="The proposal (销售方案): solution, scope, pricing approach")


class WinBody(WriteModel):
    amount: MoneyIn | None = Field(default=None,
                                   description="The amount won; defaults to the expected amount")


class LoseBody(WriteModel):
    reason: Reason


class OpportunitySnapshot(ReadModel):
    """An opportunity as stored: the before/after of its audit rows."""

    id: int
    customer_id: int
    lead_id: int | None
    department_id: str
    owner_id: str
    title: str
    grade: OpportunityGrade
    stage: OpportunityStage
    probability: int
    expected_amount: Money
    expected_close_date: date
    won_amount: Money | None
    lost_reason: str | None
    stage_changed_at: datetime
    closed_at: datetime | None
    proposal_summary: str | None
    proposal_status: ProposalStatus | None
    proposal_rejection_reason: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class OpportunityRead(OpportunitySnapshot, PeopleNames, CustomerName):
    weighted_amount: Money = Field(default=Decimal(0),
                                   description="expected_amount × probability")
    approval: ApprovalRead | None = Field(default=None,
                                          description="The proposal's latest approval request")
    allowed_actions: list[str] = Field(default_factory=list,
                                       description="What the caller may do to it now")


class OpportunityPage(Page[OpportunityRead]):
    pass


