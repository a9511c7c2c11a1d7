from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class QuoteNotFound(NotFound):
    code = "quote.not_found"
    title = "Quote not found"


class QuoteForbidden(Forbidden):
    code = "quote.forbidden"
    title = "Your role may read this quote but not change it"


class QuoteLocked(Conflict):
    code = "quote.locked"
    title = "Only a draft quote can be edited; revise a sent quote into a new version"


class QuoteExpired(Conflict):
    code = "quote.expired"
    title = "The quote is past its valid-until date; revise it into a new version"


class UnknownCustomer(UnprocessableEntity):
    code = "quote.unknown_customer"
    title = "The customer does not exist or is not yours"


class UnknownProduct(UnprocessableEntity):
    code = "quote.unknown_product"
    title = "A line names a product that does not exist or is inactive"


class OpportunityMismatch(UnprocessableEntity):
    code = "quote.opportunity_mismatch"
    title = "The opportunity is not visible to you, closed, or of another customer"


class ValidityInPast(UnprocessableEntity):
    code = "quote.valid_until_past"
    title = "valid_until must be today or later"


class BaseCurrencyRate(UnprocessableEntity):
    code = "quote.base_currency_rate"
    title = "A quote in the base currency (CNY) has an exchange rate of 1"


class LinesRequired(UnprocessableEntity):
    code = "quote.lines_required"
    title = "Changing the currency or exchange rate reprices the lines: send them too"
