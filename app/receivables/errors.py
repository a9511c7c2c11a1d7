from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class ReceivableNotFound(NotFound):
    code = "receivable.not_found"
    title = "Receivable not found"


class PaymentNotFound(NotFound):
    code = "payment.not_found"
    title = "Payment not found"


class ReceivableForbidden(Forbidden):
    code = "receivable.forbidden"
    title = "Your roles may read this receivable but not do this to it"


class UnknownContract(UnprocessableEntity):
    code = "receivable.unknown_contract"
    title = "The contract does not exist or is not one you see"


class ContractNotSigned(Conflict):
    code = "receivable.contract_not_signed"
    title = "Milestones are invoiced on signed contracts in force"


class UnknownMilestone(UnprocessableEntity):
    code = "receivable.unknown_milestone"
    title = "The contract's payment schedule has no such milestone"


class MilestoneInvoicedByShipments(Conflict):
    code = "receivable.milestone_invoiced_by_shipments"
    title = "An on-delivery milestone is invoiced by the shipments, not by hand"


class MilestoneAlreadyInvoiced(Conflict):
    code = "receivable.milestone_already_invoiced"
    title = "This milestone of the contract already has its receivable"


class NotPayable(Conflict):
    code = "receivable.not_payable"
    title = "Payments settle open or partly paid receivables only"


class Overpayment(Conflict):
    code = "receivable.overpayment"
    title = "The payment is more than the receivable's balance"


class ReferenceReused(Conflict):
    code = "payment.reference_reused"
    title = "This payer's reference names an earlier payment of another amount"


class AllocationMismatch(UnprocessableEntity):
    code = "payment.allocation_mismatch"
    title = "The allocation lines do not add up to the payment's amount"


class UnknownReceivable(UnprocessableEntity):
    code = "payment.unknown_receivable"
    title = "An allocation line names a receivable that does not exist or is not one you see"


class MixedPayers(UnprocessableEntity):
    code = "payment.mixed_payers"
    title = "One payment settles receivables of one customer, in one currency"


class DateInFuture(UnprocessableEntity):
    code = "receivable.date_in_future"
    title = "The date is after today"


class NotWriteOffable(Conflict):
    code = "receivable.not_write_offable"
    title = "Only an open or partly paid receivable can be written off"


class NothingOwed(Conflict):
    code = "receivable.nothing_owed"
    title = "The receivable is paid or written off: nothing is left to collect"


class NotCreditable(Conflict):
    code = "receivable.not_creditable"
    title = "Credit notes lower open or partly paid receivables only"


class CreditExceedsBalance(Conflict):
    code = "receivable.credit_exceeds_balance"
    title = "The credit is more than the receivable's balance"
