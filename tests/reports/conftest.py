"""Shared by the receivables reports' tests: in east, rep.zhang's customer (the
company's) and rep.liu's; in west, rep.west's."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.customers.models import Customer
from app.departments.models import Department
from tests.factories.customers import create_customer


@dataclass
class Ledger:
    zhang: Customer
    liu: Customer
    west: Customer
    liu_rep: dict
    west_rep: dict
    west_head: dict


@pytest.fixture
async def ledger(session, company, headers_for) -> Ledger:
    east = await session.get(Department, "east")
    west = await session.get(Department, "west")
    zhang = (await session.execute(
        select(Customer).where(Customer.id == company.customer_id))).scalar_one()
    return Ledger(
        zhang=zhang,
        liu=await create_customer(session, owner_id="rep.liu", department=east),
        west=await create_customer(session, owner_id="rep.west", department=west),
        liu_rep=company.other_rep,
        west_rep=headers_for("sales_rep", sub="rep.west", dept="west"),
        west_head=headers_for("dept_head", sub="head.west", dept="west"),
    )
