from app.core.errors import Conflict, NotFound, UnprocessableEntity


class CalendarDayNotFound(NotFound):
    code = "calendar.day_not_found"
    title = "The calendar has no entry for this day"


class WorkdayNotWeekend(UnprocessableEntity):
    code = "calendar.workday_not_weekend"
    title = "A make-up working day must fall on a Saturday or Sunday"


class InvalidDateRange(UnprocessableEntity):
    code = "calendar.invalid_range"
    title = "The date range is empty or too long"


class CalendarDayConflict(Conflict):
    code = "calendar.concurrent_change"
    title = "Another request changed this day at the same time; retry"


class OfficialYearUnknown(UnprocessableEntity):
    code = "calendar.official_year_unknown"
    title = "The official holiday schedule of this year is not known"
