"""What the audit tests share: a rep who writes audited changes, an auditor who reads them."""

import pytest

from tests.factories.departments import create_department


@pytest.fixture
async def rep(session, headers_for):
    await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.audit", dept="east")


@pytest.fixture
def auditor(headers_for):
    return headers_for("auditor", sub="auditor.1")


async def create_customers(client, rep, n: int) -> list[dict]:
    """n customers registered through the API: n audited changes."""
    created = []
    for i in range(n):
        response = await client.post("/api/v1/customers", json={"name": f"Audited {i}"},
                                     headers=rep)
        assert response.status_code == 201
        created.append(response.json())
    return created
