from fastapi import APIRouter

from app.audit.router import router as audit_router
from app.customers.router import router as customers_router
from app.departments.router import router as departments_router
from app.events.router import router as events_router
from app.products.router import router as products_router

api_router = APIRouter(prefix="/api/v1")
for router in (departments_router, products_router, customers_router, audit_router,
               events_router):
    api_router.include_router(router)
