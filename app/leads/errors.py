from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class LeadNotFound(NotFound):
    code = "lead.not_found"
    title = "Lead not found"


class LeadForbidden(Forbidden):
    code = "lead.forbidden"
    title = "Your role may read this lead but not work it"


class LeadClosed(Conflict):
    code = "lead.closed"
    title = "The lead is converted or disqualified and can no longer change"


class AssignmentForbidden(Forbidden):
    code = "lead.assignment_forbidden"
    title = "You may not give this lead to that owner or department"


class DepartmentRequired(UnprocessableEntity):
    code = "lead.department_required"
    title = "department_id is required for your role"


class UnknownDepartment(UnprocessableEntity):
    code = "lead.unknown_department"
    title = "The department does not exist or is inactive"


class ContactRequired(UnprocessableEntity):
    code = "lead.contact_required"
    title = "A lead needs a phone number or an e-mail address"


class LeadUnassigned(Conflict):
    code = "lead.unassigned"
    title = "Assign the lead to a rep before converting it"


class CustomerOwnedByAnother(Conflict):
    code = "lead.customer_owned_by_another"
    title = "The customer belongs to another rep; a lead converts only into its owner's customer"


class UnknownCustomer(UnprocessableEntity):
    code = "lead.unknown_customer"
    title = "The customer does not exist or is not visible to you"
