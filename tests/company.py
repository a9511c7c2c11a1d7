"""Fixtures for approval scenarios (registered in tests/conftest.py): department east
(head, reps) overseen by one deputy GM; finance, legal, the GM and the board; and helpers
to draft and submit contracts."""

from dataclasses import dataclass

import pytest

from tests.factories.contracts import contract_body
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product


@dataclass
class Company:
    rep: dict
    other_rep: dict
    head: dict
    vp: dict
    gm: dict
    finance: dict
    finance2: dict
    legal: dict
    board: dict
    admin: dict
    customer_id: int
    product_id: int


@pytest.fixture
async def company(session, headers_for) -> Company:
    department = await create_department(session, id="east")
    await create_department(session, id="west")
    customer = await create_customer(session, department=department, owner_id="rep.zhang")
    product = await create_product(session, list_price="1000.00", floor_price="800.00")
    return Company(
        rep=headers_for("sales_rep", sub="rep.zhang", dept="east"),
        other_rep=headers_for("sales_rep", sub="rep.liu", dept="east"),
        head=headers_for("dept_head", sub="head.wang", dept="east"),
        vp=headers_for("deputy_gm", sub="vp.li", depts=["east"]),
        gm=headers_for("gm", sub="gm.zhou"),
        finance=headers_for("finance", sub="fin.qian"),
        finance2=headers_for("finance", sub="fin.sun"),
        legal=headers_for("legal", sub="legal.he"),
        board=headers_for("board", sub="board.ma"),
        admin=headers_for("admin", sub="admin"),
        customer_id=customer.id, product_id=product.id,
    )


@pytest.fixture
def draft(client, company):
    async def make(total: str = "1000.00", **overrides) -> dict:
        response = await client.post("/api/v1/contracts", headers=company.rep,
                                     json=contract_body(company.customer_id, company.product_id,
                                                        total=total, **overrides))
        assert response.status_code == 201, response.text
        return response.json()
    return make


@pytest.fixture
def submitted(client, company, draft):
    async def make(total: str = "1000.00", **overrides) -> dict:
        contract = await draft(total, **overrides)
        response = await client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                     headers=company.rep)
        assert response.status_code == 200, response.text
        return response.json()
    return make


def roles_by_stage(contract: dict) -> list[list[str]]:
    return [[step["role"] for step in stage["steps"]] for stage in contract["approval"]["stages"]]
