from pydantic import BaseModel, Field

from app.core.i18n import Language


class ProblemMessage(BaseModel):
    title: str = Field(description="The problem's title in this language")
    details: list[str] = Field(
        description="Templates of its `detail` over the problem's members (`{current_status}`"
                    "…), the first whose members are all present applies; empty: the detail "
                    "the service sends is the one to show")


class MessageCatalogue(BaseModel):
    """Everything a UI needs to show the service's codes in one language."""

    language: Language
    problems: dict[str, ProblemMessage] = Field(description="By problem `code`")
    actions: dict[str, str] = Field(description="Labels of `allowed_actions` codes")
    states: dict[str, str] = Field(description="Labels of every `status` and `stage` value")
    roles: dict[str, str] = Field(description="Labels of the roles")
    expense_categories: dict[str, str] = Field(
        description="Labels of the expense budget's categories (`category` of its items, "
                    "expenses and overrides)")
    conditions: dict[str, str] = Field(
        description="Labels of the flags a policy stage applies under (`when`)")
    stages: dict[str, str] = Field(
        description="Labels of the approval stages the default policy names (`stages[].name`, "
                    "`current_stage_name`, a rule's `stage`); a name not here is the policy's "
                    "own and reads as written")
    stage_tier: str = Field(
        description="How a cumulative tier's stage reads (`authority_2`), over `{stage}` and "
                    "`{tier}`")
    rules: dict[str, str] = Field(
        description="Templates of approval `fired_rules` by `code`, over their `params` (with "
                    "`bound` made from `low`/`high` by the `bounds` templates)")
    bounds: dict[str, str] = Field(description="How a tier's or band's range reads")
    validation: dict[str, str] = Field(
        description="Messages of validation error `type`s over their context (Chinese only; "
                    "in English the service sends pydantic's own)")
