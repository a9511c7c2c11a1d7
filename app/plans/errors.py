from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class SalesPlanNotFound(NotFound):
    code = "sales_plan.not_found"
    title = "Sales plan not found"


class SalesTargetNotFound(NotFound):
    code = "sales_target.not_found"
    title = "Sales target not found"


class SalesPlanForbidden(Forbidden):
    code = "sales_plan.forbidden"
    title = "Your role may read this plan but not do that to it"


class NotTargetOwner(Forbidden):
    code = "sales_target.not_owner"
    title = "Only the rep a target belongs to acknowledges it"


class UnknownDepartment(UnprocessableEntity):
    code = "sales_plan.unknown_department"
    title = "The department does not exist or is not yours to plan"


class PlanExists(Conflict):
    code = "sales_plan.exists"
    title = "The department already has a plan for this period: revise that one"


class PlanLocked(Conflict):
    code = "sales_plan.locked"
    title = "The plan is in approval, approved or ended; only a draft is edited"


class RevisionOpen(Conflict):
    code = "sales_plan.revision_open"
    title = "A revision of this plan is already drafted or in approval"


class NotInForce(Conflict):
    code = "sales_plan.not_in_force"
    title = "Only the plan in force (approved) is revised or has its targets acknowledged"


class LinesMismatch(UnprocessableEntity):
    code = "sales_plan.lines_mismatch"
    title = "The product lines' targets do not add up to the plan's target"


class AllocationMismatch(UnprocessableEntity):
    code = "sales_plan.allocation_mismatch"
    title = "The reps' targets do not add up to the plan's target to the cent"


class MonthsMismatch(UnprocessableEntity):
    code = "sales_plan.months_mismatch"
    title = "A target's months do not add up to the target, or the plan is not yearly"


class AlreadyAcknowledged(Conflict):
    code = "sales_target.already_acknowledged"
    title = "The target was acknowledged already"
