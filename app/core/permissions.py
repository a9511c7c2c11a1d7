"""Roles, the role→capability table, and record visibility (SPEC §1).

Visibility is data: for each kind of record, the scope each role sees. A principal
with several roles gets the widest scope any of them gives. Reading a record outside
one's scope is a 404 (do not reveal existence), so loaders filter with `visible()`.
"""

from collections.abc import Iterable
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, false, or_, true

if TYPE_CHECKING:
    from app.core.security import Principal


class Role(StrEnum):
    sales_rep = "sales_rep"
    dept_head = "dept_head"
    deputy_gm = "deputy_gm"
    gm = "gm"
    board = "board"
    finance = "finance"
    legal = "legal"
    logistics = "logistics"
    customer_service = "customer_service"
    quality = "quality"
    auditor = "auditor"
    admin = "admin"
    integration = "integration"


# Roles whose meaning depends on the holder's home department.
DEPARTMENT_SCOPED_ROLES = frozenset({Role.sales_rep, Role.dept_head})


class Capability(StrEnum):
    reference_write = "reference.write"  # departments, products, the company calendar
    customer_create = "customer.create"
    customer_update = "customer.update"  # a customer's own details: name, contacts, address…
    customer_delete = "customer.delete"
    customer_assign_owner = "customer.assign_owner"
    customer_set_credit = "customer.set_credit"  # credit rating, limit, payment terms
    lead_create = "lead.create"
    lead_assign = "lead.assign"  # give a lead to a rep, or take it back into the pool
    # Work the sales flow's documents (leads, opportunities, quotes, contracts) one sees.
    sales_documents_write = "sales_documents.write"
    # Decide approval steps (the engine checks each step's role and scope) and delegate them.
    approval_decide = "approval.decide"
    approval_policy_write = "approval_policy.write"
    # Plan an order's delivery dates while it is reviewed or confirmed (logistics' review).
    order_schedule = "order.schedule"
    # Close a delivered or partly delivered order: the rest will not be delivered.
    order_close = "order.close"
    audit_read = "audit.read"
    events_read = "events.read"
    webhooks_manage = "webhooks.manage"  # subscriptions, deliveries, replays
    # Plan deliveries (发货) of the orders one sees, reschedule and cancel planned ones.
    delivery_plan = "delivery.plan"
    # Record that goods shipped and that the customer received them (warehouse, ERP/WMS).
    delivery_record = "delivery.record"
    # Record goods sent back (退货), received where they left from.
    delivery_return = "delivery.return"
    # Invoice a signed contract's payment milestone (prepayment, retention ...) by hand.
    receivable_issue = "receivable.issue"
    # Record money received (回款) against receivables: finance, and the ERP or bank feed.
    payment_record = "payment.record"
    # Ask for a receivable to be written off (坏账核销); the approval chain decides.
    receivable_write_off = "receivable.write_off"
    # Log collection actions (催款) on the receivables one sees.
    receivable_dunning = "receivable.dunning"
    # Draft, submit, revise and decompose the sales plans of the departments one answers
    # for (a head their own, a deputy GM those overseen, the GM all).
    sales_plan_write = "sales_plan.write"
    # Acknowledge one's own sales target (业绩协议).
    sales_target_acknowledge = "sales_target.acknowledge"
    # Draft, edit and submit a department's expense budget (销售费用预算).
    expense_budget_write = "expense_budget.write"
    # Record expenses against an approved budget, and ask the GM to allow one beyond an
    # item's remainder.
    expense_record = "expense.record"
    # Set a department's planned growth rate for a year (deviation control's standard).
    deviation_target_set = "deviation.target_set"
    # Write a deviation analysis (causes, measures), submit it to the GM, track measures.
    deviation_analysis_write = "deviation.analysis_write"
    # Register a customer's complaint (客诉受理): customer service, reps and heads for the
    # customers they see, the ERP for complaints from its portal.
    complaint_intake = "complaint.intake"
    # Follow a complaint through (客服): assign it, record the customer's answers, feed the
    # outcome back, close it; draft the CAPA for the responsible department.
    complaint_handle = "complaint.handle"
    # Investigate as the responsible department: its responsibility report, its CAPA and the
    # tracking of its actions (a head for their own department).
    complaint_investigate = "complaint.investigate"
    # Review responsibility and verify the actions' effect (品管).
    complaint_review = "complaint.review"
    # Record a remedy: repair, replacement, return, refund (a credit note).
    complaint_remedy = "complaint.remedy"
    # Take part of a receivable off by hand with a credit note (红字冲销: an adjustment).
    receivable_credit = "receivable.credit"


_SALES_LINE = frozenset({Capability.sales_documents_write, Capability.approval_decide,
                         Capability.delivery_plan, Capability.receivable_dunning,
                         Capability.complaint_intake})

# What SPEC §1 gives each role to write; reading is visibility's business, below.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.admin: frozenset(Capability),
    Role.gm: _SALES_LINE | {Capability.customer_create, Capability.customer_update,
                            Capability.customer_assign_owner, Capability.customer_set_credit,
                            Capability.lead_create, Capability.lead_assign,
                            Capability.order_close, Capability.sales_plan_write,
                            Capability.deviation_target_set},
    Role.deputy_gm: _SALES_LINE | {Capability.customer_update,
                                   Capability.customer_assign_owner, Capability.lead_assign,
                                   Capability.order_close, Capability.sales_plan_write,
                                   Capability.deviation_target_set,
                                   Capability.deviation_analysis_write},
    # A head plans and spends the department's expense budget and answers for its
    # deviations; finance keeps the books of every department's budget.
    Role.dept_head: _SALES_LINE | {Capability.customer_create, Capability.customer_update,
                                   Capability.customer_assign_owner, Capability.lead_create,
                                   Capability.lead_assign, Capability.order_close,
                                   Capability.sales_plan_write,
                                   Capability.sales_target_acknowledge,
                                   Capability.expense_budget_write, Capability.expense_record,
                                   Capability.deviation_analysis_write,
                                   Capability.complaint_investigate},
    # A rep decides approvals only as someone's delegate; the engine checks that.
    Role.sales_rep: _SALES_LINE | {Capability.customer_create, Capability.customer_update,
                                   Capability.lead_create,
                                   Capability.sales_target_acknowledge},
    # Finance sets credit terms, not the rest of the customer record.
    # It invoices milestones, records payments, collects, credits by hand and asks for
    # write-offs.
    Role.finance: frozenset({Capability.customer_set_credit, Capability.approval_decide,
                             Capability.receivable_issue, Capability.payment_record,
                             Capability.receivable_write_off, Capability.receivable_dunning,
                             Capability.expense_budget_write, Capability.expense_record,
                             Capability.complaint_remedy, Capability.receivable_credit}),
    Role.legal: frozenset({Capability.approval_decide}),
    # Logistics reviews orders' delivery dates, closes what will not be delivered, and
    # plans, ships and receives deliveries.
    Role.logistics: frozenset({Capability.approval_decide, Capability.order_schedule,
                               Capability.order_close, Capability.delivery_plan,
                               Capability.delivery_record, Capability.delivery_return}),
    # Customer service takes complaints in and follows them through, with their remedies:
    # goods taken back under a complaint are its delivery returns.
    Role.customer_service: frozenset({Capability.approval_decide, Capability.complaint_intake,
                                      Capability.complaint_handle, Capability.complaint_remedy,
                                      Capability.delivery_return}),
    # Quality reviews responsibility, approves corrective actions (the approval policy's
    # experts) and verifies their effect.
    Role.quality: frozenset({Capability.approval_decide, Capability.complaint_review}),
    Role.board: frozenset({Capability.approval_decide}),
    # The ERP account reads and follows the event feed; it writes leads from web forms and
    # exhibitions, what the warehouse system reports (shipments, receipts and returns) and
    # the money the bank or the ERP reports received. It never decides approvals, even as
    # a delegate.
    Role.integration: frozenset({Capability.lead_create, Capability.complaint_intake,
                                 Capability.events_read,
                                 Capability.delivery_record, Capability.delivery_return,
                                 Capability.payment_record}),
    # Read-only (稽核): deciding anything would make the auditor audit their own decisions.
    Role.auditor: frozenset({Capability.audit_read, Capability.events_read}),
}

# The role gate of every write operation (by OpenAPI operation id, the route function's
# name): a caller needs one of the listed capabilities; None marks a POST that only reads.
# It answers before the request body is validated, so a role that may not write somewhere
# learns nothing about that operation but 403. Services check the same capabilities again,
# with the record-level rules (visibility, ownership, approval eligibility) on top. An
# operation missing here is refused to everyone.
_SALES = frozenset({Capability.sales_documents_write})
OPERATION_CAPABILITIES: dict[str, frozenset[Capability] | None] = {
    "approve_request": frozenset({Capability.approval_decide}),
    "reject_request": frozenset({Capability.approval_decide}),
    "preview_approval": None,
    "put_approval_policy": frozenset({Capability.approval_policy_write}),
    "create_delegation": frozenset({Capability.approval_decide}),
    "revoke_delegation": frozenset({Capability.approval_decide}),
    **dict.fromkeys(("create_contract", "update_contract", "submit_contract", "recall_contract",
                     "sign_contract", "amend_contract", "terminate_contract",
                     "recall_termination"), _SALES),
    **dict.fromkeys(("create_order", "update_order", "submit_order", "recall_order",
                     "cancel_order"), _SALES),
    "schedule_order": frozenset({Capability.order_schedule}),
    **dict.fromkeys(("create_visit", "update_visit", "submit_visit", "recall_visit",
                     "cancel_visit", "report_visit"), _SALES),
    "close_order": frozenset({Capability.order_close}),
    **dict.fromkeys(("create_quote", "update_quote", "submit_quote", "recall_quote",
                     "send_quote", "accept_quote", "decline_quote", "revise_quote"), _SALES),
    **dict.fromkeys(("create_opportunity", "update_opportunity", "move_opportunity_stage",
                     "submit_opportunity_proposal", "recall_opportunity_proposal",
                     "win_opportunity", "lose_opportunity"), _SALES),
    "create_lead": frozenset({Capability.lead_create}),
    "import_leads": frozenset({Capability.lead_create}),
    **dict.fromkeys(("update_lead", "contact_lead", "qualify_lead", "disqualify_lead",
                     "convert_lead"), _SALES),
    "assign_lead": frozenset({Capability.lead_assign}),
    "create_customer": frozenset({Capability.customer_create}),
    "import_customers": frozenset({Capability.customer_create}),
    "update_customer": frozenset({Capability.customer_update, Capability.customer_set_credit}),
    "delete_customer": frozenset({Capability.customer_delete}),
    **dict.fromkeys(("create_product", "update_product", "delete_product",
                     "create_department", "update_department", "delete_department",
                     "import_calendar_days", "import_official_days", "set_calendar_day",
                     "delete_calendar_day"),
                    frozenset({Capability.reference_write})),
    **dict.fromkeys(("create_delivery", "update_delivery", "cancel_delivery"),
                    frozenset({Capability.delivery_plan})),
    **dict.fromkeys(("ship_delivery", "receive_delivery"),
                    frozenset({Capability.delivery_record})),
    "record_delivery_return": frozenset({Capability.delivery_return}),
    "create_receivable": frozenset({Capability.receivable_issue}),
    **dict.fromkeys(("record_receivable_payment", "create_payment"),
                    frozenset({Capability.payment_record})),
    **dict.fromkeys(("request_receivable_write_off", "recall_receivable_write_off"),
                    frozenset({Capability.receivable_write_off})),
    "record_receivable_dunning": frozenset({Capability.receivable_dunning}),
    **dict.fromkeys(("create_sales_plan", "update_sales_plan", "submit_sales_plan",
                     "recall_sales_plan", "cancel_sales_plan", "revise_sales_plan",
                     "allocate_sales_plan"), frozenset({Capability.sales_plan_write})),
    "acknowledge_sales_target": frozenset({Capability.sales_target_acknowledge}),
    **dict.fromkeys(("create_expense_budget", "update_expense_budget", "submit_expense_budget",
                     "recall_expense_budget"), frozenset({Capability.expense_budget_write})),
    **dict.fromkeys(("record_expense", "request_expense_override", "recall_expense_override"),
                    frozenset({Capability.expense_record})),
    "set_growth_target": frozenset({Capability.deviation_target_set}),
    **dict.fromkeys(("create_deviation_analysis", "update_deviation_analysis",
                     "submit_deviation_analysis", "recall_deviation_analysis",
                     "complete_deviation_measure"),
                    frozenset({Capability.deviation_analysis_write})),
    "create_complaint": frozenset({Capability.complaint_intake}),
    **dict.fromkeys(("assign_complaint", "negotiate_complaint", "give_complaint_feedback",
                     "close_complaint"), frozenset({Capability.complaint_handle})),
    "determine_complaint": frozenset({Capability.complaint_investigate}),
    **dict.fromkeys(("submit_complaint_capa", "recall_complaint_capa", "track_complaint"),
                    frozenset({Capability.complaint_investigate, Capability.complaint_handle})),
    **dict.fromkeys(("review_complaint", "verify_complaint"),
                    frozenset({Capability.complaint_review})),
    "record_complaint_remedy": frozenset({Capability.complaint_remedy}),
    "credit_receivable": frozenset({Capability.receivable_credit}),
    **dict.fromkeys(("create_webhook", "update_webhook", "delete_webhook",
                     "rotate_webhook_secret", "test_webhook", "replay_webhook",
                     "retry_webhook_delivery"), frozenset({Capability.webhooks_manage})),
}


class Scope(IntEnum):
    """How far a role sees, ordered so that max() gives the widest."""

    none = 0
    own = 1
    department = 2
    overseen = 3
    company = 4


# Roles that create and change the documents of the sales flow (leads, opportunities, quotes,
# contracts) within what they see; the other roles read them and decide their approvals.
SALES_WORKING_ROLES = tuple(role for role in Role
                            if Capability.sales_documents_write in ROLE_CAPABILITIES.get(role, ()))

# Default scope of each role over sales records (customers and the documents of the
# sales flow). Roles missing here see nothing of that kind.
SALES_RECORD_SCOPES: dict[Role, Scope] = {
    Role.sales_rep: Scope.own,
    Role.dept_head: Scope.department,
    Role.deputy_gm: Scope.overseen,
    Role.gm: Scope.company,
    Role.board: Scope.company,
    Role.finance: Scope.company,
    Role.legal: Scope.company,
    Role.auditor: Scope.company,
    Role.admin: Scope.company,
    Role.integration: Scope.company,
    # Their work touches every customer's orders, deliveries and complaints.
    Role.logistics: Scope.company,
    Role.customer_service: Scope.company,
    Role.quality: Scope.company,
}


# Planning records (sales plans, expense budgets, deviation targets and analyses) belong to
# a department, not to a rep: heads see their department's, deputy GMs the departments they
# oversee, the company-wide roles all; reps see none (of plans, only their own targets).
PLANNING_RECORD_SCOPES: dict[Role, Scope] = {
    Role.dept_head: Scope.department,
    Role.deputy_gm: Scope.overseen,
    Role.gm: Scope.company,
    Role.board: Scope.company,
    Role.finance: Scope.company,
    Role.auditor: Scope.company,
    Role.admin: Scope.company,
}
# The ERP reads plans (targets feed its commission runs); budgets stay inside the company.
PLAN_SCOPES: dict[Role, Scope] = {**PLANNING_RECORD_SCOPES, Role.integration: Scope.company}
TARGET_SCOPES: dict[Role, Scope] = {**PLAN_SCOPES, Role.sales_rep: Scope.own}


def can(principal: "Principal", capability: Capability) -> bool:
    return any(capability in ROLE_CAPABILITIES.get(role, ()) for role in principal.roles)


def widest_scope(principal: "Principal", table: dict[Role, Scope] = SALES_RECORD_SCOPES) -> Scope:
    return max((table.get(role, Scope.none) for role in principal.roles), default=Scope.none)


def overseen_departments(principal: "Principal") -> frozenset[str]:
    """Departments a deputy GM answers for: `depts`, or the home `dept` when none listed."""
    if principal.depts:
        return principal.depts
    return frozenset({principal.dept}) if principal.dept else frozenset()


def visible(
    principal: "Principal",
    *,
    owner_column: Any,
    department_column: Any,
    table: dict[Role, Scope] = SALES_RECORD_SCOPES,
) -> ColumnElement[bool]:
    """SQL filter for the records this principal may see. Used by every list and get."""
    scope = widest_scope(principal, table)
    if scope == Scope.company:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope >= Scope.own:
        clauses.append(owner_column == principal.sub)
    if scope >= Scope.department and principal.dept:
        clauses.append(department_column == principal.dept)
    if scope >= Scope.overseen:
        depts = overseen_departments(principal)
        if depts:
            clauses.append(department_column.in_(sorted(depts)))
    return or_(*clauses) if clauses else false()


def visible_branches(
    principal: "Principal",
    *,
    owner_column: Any,
    department_column: Any,
    table: dict[Role, Scope] = SALES_RECORD_SCOPES,
) -> list[ColumnElement[bool]]:
    """`visible()` as disjoint filters whose union it is: none when nothing is visible, one
    when a single rule applies, else the departments' records and the principal's own
    outside them. An aggregate runs one branch per statement of a UNION ALL, so each reads
    its own index (an `owner OR department` filter reads neither); disjoint, no record
    counts twice, and a grouping by the two columns keeps each group in one branch."""
    scope = widest_scope(principal, table)
    if scope == Scope.company:
        return [true()]
    departments: set[str] = set()
    if scope >= Scope.department and principal.dept:
        departments.add(principal.dept)
    if scope >= Scope.overseen:
        departments |= overseen_departments(principal)
    listed = sorted(departments)
    branches: list[ColumnElement[bool]] = []
    if listed:
        branches.append(department_column == listed[0] if len(listed) == 1
                        else department_column.in_(listed))
    if scope >= Scope.own:
        own = owner_column == principal.sub
        branches.append(own if not listed else and_(
            own, or_(department_column.is_(None), department_column.not_in(listed))))
    return branches


def sees_record(
    principal: "Principal",
    *,
    owner_id: str | None,
    department_id: str | None,
    table: dict[Role, Scope] = SALES_RECORD_SCOPES,
) -> bool:
    """The same rule as `visible()`, for a record already in memory."""
    scope = widest_scope(principal, table)
    if scope == Scope.company:
        return True
    if scope >= Scope.own and owner_id == principal.sub:
        return True
    if scope >= Scope.department and department_id is not None and department_id == principal.dept:
        return True
    if scope >= Scope.overseen and department_id in overseen_departments(principal):
        return True
    return False


def may_assign(principal: "Principal", *, owner_id: str | None, department_id: str) -> bool:
    """Whether the principal may give a sales record to `owner_id` (None: the department's
    unassigned pool) in `department_id`: reps only to themselves in their own department,
    heads within their department, deputy GMs within the departments they oversee, the
    company-wide roles anywhere."""
    scope = widest_scope(principal)
    if scope == Scope.company:
        return True
    if scope == Scope.overseen and department_id in overseen_departments(principal):
        return True
    if scope >= Scope.department and department_id == principal.dept:
        return True
    return owner_id == principal.sub and department_id == principal.dept


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Known roles from a claim; unknown strings are ignored so new roles can be rolled out
    in the identity provider before this service knows them."""
    known = {r.value for r in Role}
    return frozenset(Role(v) for v in values if v in known)


def require(principal: "Principal", capability: Capability) -> None:
    """Refuse a principal whose roles lack `capability` (403)."""
    from app.core.errors import Forbidden

    if not can(principal, capability):
        raise Forbidden(f"Your roles do not allow {capability.value}.", capability=capability.value)


def require_operation(principal: "Principal", operation: str) -> None:
    """The role gate of a write operation (OPERATION_CAPABILITIES), refused with 403."""
    from app.core.errors import Forbidden

    if operation not in OPERATION_CAPABILITIES:
        raise Forbidden(f"{operation or 'This operation'} has no entry in the role table.",
                        operation=operation)
    needed = OPERATION_CAPABILITIES[operation]
    if needed is None or any(can(principal, capability) for capability in needed):
        return
    wanted = sorted(capability.value for capability in needed)
    raise Forbidden(f"Your roles do not allow {operation} (it needs {' or '.join(wanted)}).",
                    operation=operation, capabilities=wanted)
