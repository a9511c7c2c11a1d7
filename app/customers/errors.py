from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class CustomerNotFound(NotFound):
    code = "customer.not_found"
    title = "Customer not found"


class DuplicateCreditCode(Conflict):
    code = "customer.duplicate_credit_code"
    title = "A customer with this unified social credit code already exists"


class CreditTermsForbidden(Forbidden):
    code = "customer.credit_terms_forbidden"
    title = "Only finance, the GM or an admin may set credit rating, limit and payment terms"


class OwnershipForbidden(Forbidden):
    code = "customer.ownership_forbidden"
    title = "You may not give this customer to that owner or department"


class OwnerRequired(UnprocessableEntity):
    code = "customer.owner_required"
    title = "owner_id and department_id are required for your role"


class UnknownDepartment(UnprocessableEntity):
    code = "customer.unknown_department"
    title = "The department does not exist or is inactive"


class CustomerInUse(Conflict):
    code = "customer.in_use"
    title = "The customer has documents and cannot be deleted"
