from fastapi import APIRouter, Depends

from app.approvals.router import router as approvals_router
from app.audit.router import router as audit_router
from app.calendar.router import router as calendar_router
from app.contracts.router import router as contracts_router
from app.core.schemas import refuse_nul_in_parameters
from app.core.security import authorize_write, document_role_gate
from app.credit.router import router as credit_router
from app.customers.router import router as customers_router
from app.departments.router import router as departments_router
from app.events.router import router as events_router
from app.leads.router import router as leads_router
from app.opportunities.router import router as opportunities_router
from app.orders.router import router as orders_router
from app.products.router import router as products_router
from app.quotes.router import router as quotes_router
from app.reports.router import router as reports_router
from app.webhooks.router import router as webhooks_router

# A NUL is refused before anything else (it needs no caller), then writes are gated by role
# before their bodies are validated.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_nul_in_parameters),
                                                       Depends(authorize_write)])
# Routes are matched one by one in this order, so the busiest come first (approval
# decisions, then the sales documents); the OpenAPI document lists them in it too.
for router in (approvals_router, contracts_router, orders_router, quotes_router,
               opportunities_router, leads_router, customers_router, credit_router,
               products_router, departments_router, calendar_router, reports_router,
               events_router, webhooks_router, audit_router):
    document_role_gate(router.routes)
    api_router.include_router(router)
