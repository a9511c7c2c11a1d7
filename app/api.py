from fastapi import APIRouter

from app.approvals.router import router as approvals_router
from app.audit.router import router as audit_router
from app.calendar.router import router as calendar_router
from app.contracts.router import router as contracts_router
from app.customers.router import router as customers_router
from app.departments.router import router as departments_router
from app.events.router import router as events_router
from app.leads.router import router as leads_router
from app.opportunities.router import router as opportunities_router
from app.products.router import router as products_router
from app.quotes.router import router as quotes_router
from app.reports.router import router as reports_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(prefix="/api/v1")
for router in (departments_router, products_router, customers_router, audit_router,
               events_router, calendar_router, approvals_router, contracts_router,
               leads_router, opportunities_router, quotes_router, reports_router,
               webhooks_router):
    api_router.include_router(router)
