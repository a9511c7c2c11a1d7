from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class BudgetNotFound(NotFound):
    code = "expense_budget.not_found"
    title = "Expense budget not found"


class OverrideNotFound(NotFound):
    code = "expense_override.not_found"
    title = "Expense override not found"


class BudgetForbidden(Forbidden):
    code = "expense_budget.forbidden"
    title = "Your roles may read this budget but not do this to it"


class BudgetExists(Conflict):
    code = "expense_budget.exists"
    title = "The department already has a budget for this year"


class BudgetLocked(Conflict):
    code = "expense_budget.locked"
    title = "Only a draft budget can be edited"


class BudgetNotInForce(Conflict):
    code = "expense_budget.not_in_force"
    title = "Expenses are recorded against an approved budget only"


class UnknownDepartment(UnprocessableEntity):
    code = "expense_budget.unknown_department"
    title = "The department does not exist or is not one you may budget for"


class NoSuchItem(UnprocessableEntity):
    code = "expense_budget.no_such_item"
    title = "The budget has no item of this category"


class OutsideBudgetYear(UnprocessableEntity):
    code = "expense_budget.outside_year"
    title = "The expense's date is not in the budget's year"


class OverRemainder(Conflict):
    code = "expense_budget.over_remainder"
    title = "The expense is more than what is left of the item; a GM override may allow it"


class WithinRemainder(Conflict):
    code = "expense_override.within_remainder"
    title = "The expense fits the item's remainder: record it, no override is needed"
