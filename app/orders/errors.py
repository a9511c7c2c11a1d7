from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class OrderNotFound(NotFound):
    code = "order.not_found"
    title = "Order not found"


class OrderForbidden(Forbidden):
    code = "order.forbidden"
    title = "Your role may read this order but not do that to it"


class OrderLocked(Conflict):
    code = "order.locked"
    title = "The order is locked: it is in review or confirmed; only a draft is edited"


class UnknownContract(UnprocessableEntity):
    code = "order.unknown_contract"
    title = "The contract does not exist or is not yours"


class UnknownQuote(UnprocessableEntity):
    code = "order.unknown_quote"
    title = "The quote does not exist or is not yours"


class UnknownSourceLine(UnprocessableEntity):
    code = "order.unknown_source_line"
    title = "A line names a contract or quote line that is not of this contract or quote"


class ContractNotOpen(Conflict):
    code = "order.contract_not_open"
    title = "Orders are called off only signed contracts in force (not being terminated)"


class QuoteNotOrderable(Conflict):
    code = "order.quote_not_orderable"
    title = "The approval policy does not allow orders from a quote in this state"


class QuoteContracted(Conflict):
    code = "order.quote_contracted"
    title = "A contract was drafted from this quote: order from the contract"


class QuantityExceedsRemaining(Conflict):
    code = "order.quantity_exceeds_remaining"
    title = "A line orders more than remains of its contract or quote line"


class AmountExceedsRemaining(Conflict):
    code = "order.amount_exceeds_remaining"
    title = "The order's total is more than remains of its contract's or quote's amount"


class DateInPast(UnprocessableEntity):
    code = "order.date_in_past"
    title = "A requested or planned delivery date is before today"


class DeliveriesScheduled(Conflict):
    code = "order.deliveries_scheduled"
    title = "Deliveries are scheduled for this order: cancel them first"


class DeliveriesPending(Conflict):
    code = "order.deliveries_pending"
    title = "A delivery of this order is planned and not shipped yet"


class CloseReasonRequired(UnprocessableEntity):
    code = "order.close_reason_required"
    title = "Closing an order short (the rest will not be delivered) needs a reason"


class UnknownOrderLine(UnprocessableEntity):
    code = "order.unknown_line"
    title = "The order has no line with that number"
