from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class ComplaintNotFound(NotFound):
    code = "complaint.not_found"
    title = "Complaint not found"


class ComplaintForbidden(Forbidden):
    code = "complaint.forbidden"
    title = "Your role may read this complaint but not do that to it"


class UnknownCustomer(UnprocessableEntity):
    code = "complaint.unknown_customer"
    title = "The customer does not exist or is not yours"


class UnknownDocument(UnprocessableEntity):
    code = "complaint.unknown_document"
    title = "The order or delivery does not exist, is not yours, or is not the customer's"


class UnknownDepartment(UnprocessableEntity):
    code = "complaint.unknown_department"
    title = "No such department"


class NotRemediable(Conflict):
    code = "complaint.not_remediable"
    title = ("Remedies are recorded while a settlement is negotiated or corrective actions "
             "are implemented or verified")


class RemedyTargetMissing(UnprocessableEntity):
    code = "complaint.remedy_target_missing"
    title = ("A return needs the complaint's delivery and its lines; a refund needs a "
             "receivable of the complaint's customer")


class SettlementRequired(UnprocessableEntity):
    code = "complaint.settlement_required"
    title = "Closing a negotiated complaint needs the agreed settlement"


class ReviewIncomplete(UnprocessableEntity):
    code = "complaint.review_incomplete"
    title = ("An accepted review needs the explanation (not the company's fault) or the "
             "nonconformity report (the company's fault)")


class AlreadyRefunded(Conflict):
    code = "complaint.already_refunded"
    title = "This complaint already refunded against that receivable (one credit note each)"
