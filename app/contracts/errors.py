from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class ContractNotFound(NotFound):
    code = "contract.not_found"
    title = "Contract not found"


class ContractLocked(Conflict):
    code = "contract.locked"
    title = "The contract is locked: pending approval or approved; change it by amendment"


class ContractForbidden(Forbidden):
    code = "contract.forbidden"
    title = "Your role may read this contract but not change it"


class PaymentScheduleInvalid(UnprocessableEntity):
    code = "contract.payment_schedule_invalid"
    title = "Payment milestones must add up to 100 %"


class UnknownProduct(UnprocessableEntity):
    code = "contract.unknown_product"
    title = "A line names a product that does not exist or is inactive"


class UnknownCustomer(UnprocessableEntity):
    code = "contract.unknown_customer"
    title = "The customer does not exist or is not yours"


class BaseCurrencyRate(UnprocessableEntity):
    code = "contract.base_currency_rate"
    title = "A contract in the base currency (CNY) has an exchange rate of 1"


class AmendmentExists(Conflict):
    code = "contract.amendment_exists"
    title = "This contract already has an amendment in progress or in force"


class TerminationPending(Conflict):
    code = "contract.termination_pending"
    title = "A termination of this contract is already awaiting approval"


class NoTerminationPending(Conflict):
    code = "contract.no_termination_pending"
    title = "No termination of this contract is awaiting approval"


class UnknownQuote(UnprocessableEntity):
    code = "contract.unknown_quote"
    title = "The quote does not exist or is not yours"


class QuoteNotAccepted(Conflict):
    code = "contract.quote_not_accepted"
    title = "A contract is drafted only from a quote the customer has accepted"


class QuoteAlreadyContracted(Conflict):
    code = "contract.quote_already_contracted"
    title = "A contract has already been drafted from this quote"


class QuoteAlreadyOrdered(Conflict):
    code = "contract.quote_ordered"
    title = "Orders were placed from this quote directly; it cannot also become a contract"
