from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class OpportunityNotFound(NotFound):
    code = "opportunity.not_found"
    title = "Opportunity not found"


class OpportunityForbidden(Forbidden):
    code = "opportunity.forbidden"
    title = "Your role may read this opportunity but not change it"


class OpportunityClosed(Conflict):
    code = "opportunity.closed"
    title = "The opportunity is won or lost and can no longer change"


class UnknownCustomer(UnprocessableEntity):
    code = "opportunity.unknown_customer"
    title = "The customer does not exist or is not yours"


class ProposalNotApproved(Conflict):
    code = "opportunity.proposal_not_approved"
    title = "A high or medium grade opportunity negotiates only after its proposal is approved"


class ProposalPending(Conflict):
    code = "opportunity.proposal_pending"
    title = "The proposal is awaiting approval; recall it first"


class ProposalApproved(Conflict):
    code = "opportunity.proposal_approved"
    title = ("The proposal is already approved; a new one is reviewed after the opportunity "
             "goes back before the proposal stage")


class ProposalOutOfStage(Conflict):
    code = "opportunity.proposal_out_of_stage"
    title = "A proposal is submitted while the opportunity is at the proposal stage"


class NoPendingProposal(Conflict):
    code = "opportunity.no_pending_proposal"
    title = "No proposal of this opportunity is awaiting approval"
