from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class AnalysisNotFound(NotFound):
    code = "deviation_analysis.not_found"
    title = "Deviation analysis not found"


class MeasureNotFound(NotFound):
    code = "deviation_measure.not_found"
    title = "The analysis has no such measure"


class DepartmentNotCovered(NotFound):
    code = "deviation.unknown_department"
    title = "No such department among those you answer for"


class DeviationForbidden(Forbidden):
    code = "deviation.forbidden"
    title = "Your roles may read this but not do this to it"


class NotBelowStandard(Conflict):
    code = "deviation.not_below_standard"
    title = "The department is not below its minimum standard for the period"


class AnalysisLocked(Conflict):
    code = "deviation_analysis.locked"
    title = "Only a draft analysis can be edited"


class MeasuresNotOpen(Conflict):
    code = "deviation_analysis.measures_not_open"
    title = "Measures are tracked once the GM has approved the analysis"


class MeasureAlreadyDone(Conflict):
    code = "deviation_measure.already_done"
    title = "The measure is already done"


class PeriodInFuture(UnprocessableEntity):
    code = "deviation.period_in_future"
    title = "The period has not started yet"


class TargetSetConcurrently(Conflict):
    code = "deviation_target.set_concurrently"
    title = "Someone set this target at the same moment"
