"""A small, realistic demo data set: the reference data (departments, products,
customers) through the services, the official holidays of this year and next (when the
chinesecalendar package knows them), and a living department (app/seed_department.py)
through the API. Everything is audited and evented; a second run creates nothing."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from stdnum.cn import uscc

from app import seed_department
from app.calendar import official
from app.calendar.working_time import COMPANY_TZ
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.permissions import Role
from app.core.security import Principal
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.schemas import CustomerCreate
from app.departments import service as departments
from app.departments.models import Department
from app.departments.schemas import DepartmentCreate
from app.products import service as products
from app.products.models import Product
from app.products.schemas import ProductCreate

SEEDER = Principal(sub="seed-demo", roles=frozenset({Role.admin}), name="Demo data loader")

DEPARTMENTS = [
    ("east", "华东销售部", "head.wang", "vp.li"),
    ("south", "华南销售部", "head.chen", "vp.li"),
    ("north", "华北销售部", "head.zhao", "vp.sun"),
]
REPS = {"east": ["rep.zhang", "rep.liu"], "south": ["rep.huang", "rep.lin"],
        "north": ["rep.yang", "rep.zhou"]}
PRODUCTS = [
    ("PMP-100", "离心泵 CP-100", "台", "pumps", "12800.00", "11000.00"),
    ("PMP-250", "多级离心泵 MP-250", "台", "pumps", "45600.00", "39000.00"),
    ("VLV-050", "不锈钢球阀 DN50", "个", "valves", "860.00", "720.00"),
    ("VLV-200", "电动蝶阀 DN200", "个", "valves", "5400.00", "4600.00"),
    ("MTR-011", "三相异步电机 11kW", "台", "motors", "6900.00", "5900.00"),
    ("MTR-075", "变频电机 75kW", "台", "motors", "38500.00", "33000.00"),
    ("SVC-INS", "现场安装调试服务", "次", "services", "3000.00", "2400.00"),
]
CUSTOMERS = [
    ("杭州恒远化工有限公司", "east", "rep.zhang", "A", "800000.00", 60, True),
    ("苏州瑞丰水务集团", "east", "rep.zhang", "B", "300000.00", 45, False),
    ("宁波港城机械制造有限公司", "east", "rep.liu", "B", "200000.00", 30, False),
    ("广州南方环保工程有限公司", "south", "rep.huang", "A", "1000000.00", 60, True),
    ("深圳鹏达电子材料有限公司", "south", "rep.lin", "C", "50000.00", 30, False),
    ("佛山顺德热能设备厂", "south", "rep.lin", "D", "0.00", 0, False),
    ("天津滨海石化工程有限公司", "north", "rep.yang", "A", "1500000.00", 90, True),
    ("北京京润市政设计院", "north", "rep.zhou", "B", "250000.00", 30, False),
]


def demo_credit_code(index: int) -> str:
    first17 = f"913301{index:011d}"
    return first17 + uscc.calc_check_digit(first17)


async def load_demo_data(
    settings: Settings, *, now: datetime | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> dict[str, Any]:
    """Load what is missing; `now` (default: the system clock) places every dated thing,
    and `sessionmaker` (default: a new engine on the settings' database) is where."""
    from app.main import create_app

    now = now or datetime.now(UTC)
    engine = None
    if sessionmaker is None:
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
    app = create_app(settings)
    app.state.sessionmaker = sessionmaker
    try:
        created = await _reference_data(sessionmaker)
        created["calendar_days"] = await _official_days(sessionmaker, now)
        customers, products = await _ids(sessionmaker)
        made = await seed_department.seed_department(
            app, sessionmaker, settings, now=now, customers=customers, products=products)
        created.update({kind: made.get(kind, 0) for kind in DOCUMENT_KINDS})
        waiting = await seed_department.inboxes(app, settings, now)
    finally:
        if engine is not None:
            await engine.dispose()
    return {
        "created": created,
        "inboxes": waiting,
        "users": {
            "gm": "gm.zhou", "finance": "fin.qian", "legal": "legal.he", "admin": "admin",
            "logistics": "log.wu", "auditor": "audit.xu",
            "deputy_gms": {vp: [d for d, _, _, v in DEPARTMENTS if v == vp]
                           for vp in sorted({d[3] for d in DEPARTMENTS})},
            "dept_heads": {d: head for d, _, head, _ in DEPARTMENTS},
            "reps": REPS,
        },
        # Development tokens, signed with SALESFLOW_JWT_SECRET like the server's.
        "tokens": {p.sub: p.command() for p in seed_department.PEOPLE},
        "try": "curl -H \"Authorization: Bearer $(salesflow token --sub head.wang "
               "--roles dept_head --dept east)\" "
               "'http://127.0.0.1:8000/api/v1/approvals?actionable=true'",
    }


DOCUMENT_KINDS = ("leads", "opportunities", "quotes", "contracts", "orders", "deliveries",
                  "receivables", "payments")


async def _reference_data(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    created = {"departments": 0, "products": 0, "customers": 0}
    for dept_id, name, head, vp in DEPARTMENTS:
        async with sessionmaker() as session:
            if await session.get(Department, dept_id) is None:
                await departments.create(session, SEEDER, data=DepartmentCreate(
                    id=dept_id, name=name, head_id=head, deputy_gm_id=vp))
                created["departments"] += 1
    for sku, name, unit, line, list_price, floor_price in PRODUCTS:
        async with sessionmaker() as session:
            if await session.scalar(select(col(Product.id))
                                    .where(col(Product.sku) == sku)) is None:
                await products.create(session, SEEDER, data=ProductCreate(
                    sku=sku, name=name, unit=unit, product_line=line,
                    list_price=Decimal(list_price), floor_price=Decimal(floor_price)))
                created["products"] += 1
    for index, (name, dept, owner, rating, limit, terms, key) in enumerate(CUSTOMERS, 1):
        code = demo_credit_code(index)
        async with sessionmaker() as session:
            if await session.scalar(select(col(Customer.id))
                                    .where(col(Customer.credit_code) == code)):
                continue
            await customers.create(session, SEEDER, data=CustomerCreate(
                name=name, credit_code=code, owner_id=owner, department_id=dept,
                credit_rating=rating, credit_limit=Decimal(limit), payment_terms_days=terms,
                is_key_customer=key,
                contacts=[{"name": "采购经理", "title": "采购部", "phone": "+86 571 8800 0000"}]))
            created["customers"] += 1
    return created


async def _official_days(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """This year's official holidays and make-up days, and next year's once published, so
    approval deadlines skip the National Day week. Returns the days created."""
    year = now.astimezone(COMPANY_TZ).year
    created = 0
    for each in (year, year + 1):
        if each not in official.known_years():
            continue
        async with sessionmaker() as session:
            result = await official.import_official_days(session, SEEDER, year=each)
        created += result.created
    return created


async def _ids(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[dict[str, int], dict[str, int]]:
    """The demo customers by name and products by SKU."""
    codes = {demo_credit_code(i): name for i, (name, *_) in enumerate(CUSTOMERS, 1)}
    async with sessionmaker() as session:
        customer_rows = (await session.execute(
            select(col(Customer.credit_code), col(Customer.id))
            .where(col(Customer.credit_code).in_(codes)))).all()
        product_rows = (await session.execute(
            select(col(Product.sku), col(Product.id))
            .where(col(Product.sku).in_([p[0] for p in PRODUCTS])))).all()
    return ({codes[code]: id_ for code, id_ in customer_rows if code and id_},
            {sku: id_ for sku, id_ in product_rows if id_})
