from fastapi import APIRouter, Depends

from app.approvals.router import router as approvals_router
from app.audit.router import router as audit_router
from app.budgets.router import overrides_router as expense_overrides_router
from app.budgets.router import router as budgets_router
from app.calendar.router import router as calendar_router
from app.complaints.router import router as complaints_router
from app.contracts.router import router as contracts_router
from app.core.directory import remember_caller
from app.core.query_parameters import refuse_unknown_query_parameters
from app.core.schemas import refuse_nul_in_parameters
from app.core.security import authorize_write, document_role_gate
from app.credit.router import router as credit_router
from app.customers.router import router as customers_router
from app.deliveries.router import router as deliveries_router
from app.departments.router import router as departments_router
from app.deviations.router import report_router as deviation_report_router
from app.deviations.router import router as deviations_router
from app.deviations.router import targets_router as growth_targets_router
from app.events.router import router as events_router
from app.leads.router import router as leads_router
from app.messages.router import router as messages_router
from app.opportunities.router import router as opportunities_router
from app.orders.router import router as orders_router
from app.plans.router import router as plans_router
from app.plans.router import targets_router as sales_targets_router
from app.products.router import router as products_router
from app.quotes.router import router as quotes_router
from app.receivables.router import payments_router
from app.receivables.router import router as receivables_router
from app.reports.router import router as reports_router
from app.timeline.router import router as timeline_router
from app.visits.router import router as visits_router
from app.webhooks.router import router as webhooks_router

# A NUL is refused before anything else (it needs no caller), then writes are gated by role
# before their bodies are validated; a permitted write remembers its caller's name.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_nul_in_parameters),
                                                       Depends(refuse_unknown_query_parameters),
                                                       Depends(authorize_write),
                                                       Depends(remember_caller)])
# Routes are matched one by one in this order, so the busiest come first (approval
# decisions, then the sales documents); the OpenAPI document lists them in it too.
for router in (approvals_router, contracts_router, orders_router, quotes_router,
               opportunities_router, leads_router, deliveries_router, receivables_router,
               payments_router, complaints_router, visits_router, customers_router,
               credit_router, timeline_router, products_router, departments_router,
               calendar_router, reports_router, deviation_report_router, budgets_router,
               expense_overrides_router, deviations_router, growth_targets_router, events_router,
               webhooks_router, audit_router, plans_router, sales_targets_router, messages_router):
    document_role_gate(router.routes)
    api_router.include_router(router)

# The OpenAPI document's tags, in the order a reader meets them, with what each covers (a
# test checks that every tag an operation uses is described here).
API_TAGS: list[dict[str, str]] = [
    {"name": "leads", "description": (
        "Prospects from every source (reps, web forms through the integration account): "
        "phones and e-mails normalised, likely duplicates found, qualification, assignment, "
        "and conversion into a customer and an opportunity.")},
    {"name": "opportunities", "description": (
        "Deals being worked: grade, expected amount and close date, stages in order with "
        "their probability, the proposal reviewed before negotiation, won and lost.")},
    {"name": "quotes", "description": (
        "Priced offers to a customer: lines from the price list, discount approval by "
        "band, send, accept or decline, expiry, revisions. An accepted quote becomes a "
        "draft contract.")},
    {"name": "contracts", "description": (
        "Sales contracts: lines and payment schedule, tiered approval, signing, "
        "amendments (a new revision) and termination.")},
    {"name": "orders", "description": (
        "Sales orders: call-offs of signed contracts within what remains (or orders from "
        "quotes where the policy allows), reviewed by finance and logistics with the "
        "customer's credit checked at submission; cancel and close.")},
    {"name": "deliveries", "description": (
        "Shipments of confirmed orders, never beyond what is undelivered: plan, ship "
        "(carrier, tracking number), deliver (received by, at), cancel, and returns.")},
    {"name": "receivables", "description": (
        "Receivables (应收账款) issued on shipment or per contract milestone, payments (回款) "
        "identified by the payer's reference and never above a balance, allocation across "
        "receivables, collection actions (催款) with the step suggested by days overdue, "
        "and write-offs through approval.")},
    {"name": "sales plans", "description": (
        "Yearly and monthly sales plans (销售计划) per department, approved deputy GM → GM, "
        "revised through approval again (history kept), decomposed into the reps' targets "
        "(业绩协议) that add up to them to the cent and that each rep acknowledges; progress "
        "against them per rep and month.")},
    {"name": "complaints", "description": (
        "Customer complaints (顾客抱怨): intake with a 24-working-hour acknowledgement "
        "deadline, the responsible department's report reviewed by quality, then the "
        "explanation (accepted or negotiated) or corrective and preventive actions through "
        "approval, implemented, verified and fed back; remedies (repair, replacement, "
        "return, refund); closed with the customer's satisfaction.")},
    {"name": "visits", "description": (
        "Customer visits (客户拜访): requested by the rep, decided by the department head "
        "within 24 hours (and the deputy GM for a key customer), reported on afterwards.")},
    {"name": "approvals", "description": (
        "The approval engine: requests with their stages and steps, each user's inbox "
        "(`actionable=true`), decisions, delegations, the policy (versioned) and a preview "
        "of the chain a document would get.")},
    {"name": "customers", "description": (
        "The customer master: contacts, owner, credit rating, limit and payment terms "
        "(set by finance).")},
    {"name": "products", "description": "The price list: list and floor prices, tax rates."},
    {"name": "departments", "description": "The sales departments reps and heads belong to."},
    {"name": "calendar", "description": (
        "The company calendar of holidays and make-up working days that approval deadlines "
        "are counted on.")},
    {"name": "expense budgets", "description": (
        "Sales expense budgets (销售费用预算) per department and year: items by category "
        "spread over the months by seasonal ratios, approval by finance then the GM, "
        "expenses held to each item's remainder, and GM overrides beyond it.")},
    {"name": "deviation control", "description": (
        "Sales deviation control (销售偏差): each department's planned growth rate per year, "
        "and the analyses (causes, measures) of a period below its minimum standard, "
        "approved by the GM and tracked until every measure is done. The figures are "
        "`GET /reports/deviation`.")},
    {"name": "reports", "description": "Read-only figures aggregated in SQL, such as the funnel."},
    {"name": "events", "description": (
        "The event feed for systems that poll: every change, in commit order, resumable.")},
    {"name": "webhooks", "description": (
        "Subscriptions that push the same events to your endpoint, signed per Standard "
        "Webhooks, with their delivery log, tests, retries and replays (admin); and, in the "
        "`webhooks` section, the catalogue of what is delivered.")},
    {"name": "audit", "description": (
        "The append-only, hash-chained audit log of every change, and its verification.")},
    {"name": "messages", "description": (
        "The message catalogue in zh-CN or en: labels of actions, states and roles, and the "
        "templates of problems and approval rules, for a UI to render codes in either "
        "language.")},
]
