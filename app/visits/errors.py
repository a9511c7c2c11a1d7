from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class VisitNotFound(NotFound):
    code = "visit.not_found"
    title = "Visit not found"


class VisitForbidden(Forbidden):
    code = "visit.forbidden"
    title = "Your role may read this visit but not do that to it"


class VisitLocked(Conflict):
    code = "visit.locked"
    title = "The visit is locked: only a draft or a rejected request is edited"


class UnknownCustomer(UnprocessableEntity):
    code = "visit.unknown_customer"
    title = "The customer does not exist or is not yours"


class VisitTimeInPast(UnprocessableEntity):
    code = "visit.time_in_past"
    title = "A visit is requested for a time still to come"


class VisitNotYetHeld(Conflict):
    code = "visit.not_yet_held"
    title = "A visit is reported on only once its planned time has come"
