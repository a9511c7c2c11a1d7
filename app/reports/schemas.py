from datetime import date

from pydantic import BaseModel, Field

from app.core.money import Money, PercentOut


class FunnelFigures(BaseModel):
    leads: int = Field(description="Leads created in the range")
    qualified: int = Field(description="Of those, how many were ever qualified")
    opportunities: int = Field(description="Of those, how many became an opportunity")
    opportunity_amount: Money = Field(description="Their expected amounts, CNY")
    won: int = Field(description="Of those opportunities, how many were won")
    won_amount: Money = Field(description="The amounts won, CNY")
    qualification_rate: PercentOut | None = Field(description="qualified / leads, percent")
    conversion_rate: PercentOut | None = Field(description="opportunities / leads, percent")
    win_rate: PercentOut | None = Field(description="won / opportunities, percent")


class RepFunnel(FunnelFigures):
    owner_id: str | None = Field(description="null: leads still in the department's pool")


class DepartmentFunnel(FunnelFigures):
    department_id: str
    reps: list[RepFunnel]


class FunnelReport(BaseModel):
    """The lead funnel of a cohort: the leads created from `date_from` to `date_to`
    (company calendar days, inclusive), followed through qualification and conversion to
    their opportunities and wins, whenever those happened."""

    date_from: date
    date_to: date
    currency: str = "CNY"
    total: FunnelFigures
    departments: list[DepartmentFunnel]
