from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class ApprovalNotFound(NotFound):
    code = "approval.not_found"
    title = "Approval request not found"


class SelfApproval(Forbidden):
    code = "approval.self_approval"
    title = "You cannot decide on a request you submitted"


class DuplicateApprover(Forbidden):
    code = "approval.duplicate_approver"
    title = "One person cannot approve two steps of the same request"


class NotEligible(Forbidden):
    code = "approval.not_eligible"
    title = "No step of this request is yours to decide"


class NotSubmitter(Forbidden):
    code = "approval.not_submitter"
    title = "Only the submitter may recall a request"


class RequestNotPending(Conflict):
    code = "approval.not_pending"
    title = "The request has already been decided"


class StepNotPending(Conflict):
    code = "approval.step_not_pending"
    title = "That step is no longer waiting for a decision"


class AlreadyDecided(Conflict):
    code = "approval.already_decided"
    title = "You have already decided on this step"


class StepRequired(UnprocessableEntity):
    code = "approval.step_required"
    title = "Several steps are yours to decide; say which with step_id"


class NoPolicyForDocument(UnprocessableEntity):
    code = "approval.no_policy"
    title = "The approval policy has no entry for this kind of document"


class InvalidPolicy(UnprocessableEntity):
    code = "approval.invalid_policy"
    title = "The approval policy is not valid"


class DelegationNotFound(NotFound):
    code = "delegation.not_found"
    title = "Delegation not found"


class InvalidDelegation(UnprocessableEntity):
    code = "delegation.invalid"
    title = "The delegation is not valid"
