"""A client generated from the committed openapi/openapi.json (openapi-python-client, as an
integrator would) works against the app: it sends what the document says and parses what
the app answers, refusals included. Generated into a temporary directory, offline."""

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.core.test_openapi import COMMITTED

PACKAGE = "salesflow_client"
CONFIG = f"""\
project_name_override: salesflow-client
package_name_override: {PACKAGE}
post_hooks: []
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package, imported; its modules are forgotten afterwards."""
    workdir = tmp_path_factory.mktemp("client")
    (workdir / "config.yaml").write_text(CONFIG)
    output = workdir / PACKAGE
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(generator), "generate", "--path", str(COMMITTED), "--config", "config.yaml",
         "--meta", "none", "--output-path", str(output)],
        cwd=workdir, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator reports what it had to leave out of the client as warnings.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield Generated()
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class Generated:
    """`client.api.contracts.get_contract`, `client.models.Problem`, … by attribute."""

    def __init__(self) -> None:
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.client_module = importlib.import_module(f"{PACKAGE}.client")

    def api(self, tag: str, operation: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")

    def client(self, app: Any, headers: dict[str, str]) -> Any:
        client = self.client_module.Client(base_url="http://test")
        client.set_async_httpx_client(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers))
        return client


async def test_a_sales_flow_through_the_generated_client(generated, app, sessionmaker,
                                                         headers_for):
    models = generated.models
    admin = generated.client(app, headers_for("admin", sub="admin.client"))
    rep = generated.client(app, headers_for("sales_rep", sub="rep.client", dept="north"))

    created = await generated.api("departments", "create_department").asyncio_detailed(
        client=admin, body=models.DepartmentCreate(id="north", name="华北销售部"),
        idempotency_key="client-flow-department")
    assert created.status_code == 201
    assert isinstance(created.parsed, models.DepartmentRead)
    assert created.headers["Location"] == "/api/v1/departments/north"
    assert created.headers["ETag"] == '"1"'

    product = await generated.api("products", "create_product").asyncio(
        client=admin, body=models.ProductCreate(sku="PUMP-7", name="离心泵", list_price="1000.00",
                                                floor_price="800.00"))
    assert isinstance(product, models.ProductRead) and product.list_price == "1000.00"

    customer = await generated.api("customers", "create_customer").asyncio(
        client=rep, body=models.CustomerCreate(name="宁波港城机械制造有限公司",
                                               contacts=[models.Contact(name="王经理")]))
    assert isinstance(customer, models.CustomerCreated) and customer.owner_id == "rep.client"

    contract = await generated.api("contracts", "create_contract").asyncio(
        client=rep, body=models.ContractCreate(
            customer_id=customer.id, title="离心泵采购合同", payment_schedule=[
                models.PaymentMilestone(kind=models.PaymentMilestoneKind.PREPAYMENT, percent="30"),
                models.PaymentMilestone(kind=models.PaymentMilestoneKind.ON_DELIVERY,
                                        percent="70")],
            lines=[models.ContractLineIn(product_id=product.id, quantity="3")]))
    assert isinstance(contract, models.ContractRead), contract

    read = await generated.api("contracts", "get_contract").asyncio_detailed(
        contract_id=contract.id, client=rep)
    assert read.status_code == 200 and read.headers["ETag"] == f'"{read.parsed.version}"'
    assert read.parsed.total == contract.total and read.parsed.status == "draft"

    stale = await generated.api("customers", "update_customer").asyncio_detailed(
        customer_id=customer.id, client=rep, if_match='"7"',
        body=models.CustomerUpdate(address="宁波市北仑区"))
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.code == "precondition_failed" and stale.parsed.current_version == 1


async def test_a_404_is_parsed_as_a_problem(generated, app, sessionmaker, headers_for):
    rep = generated.client(app, headers_for("sales_rep", sub="rep.client", dept="north"))
    response = await generated.api("contracts", "get_contract").asyncio_detailed(
        contract_id=2_000_000_000, client=rep)
    assert response.status_code == 404
    problem = response.parsed
    assert isinstance(problem, generated.models.Problem)
    assert (problem.status, problem.code) == (404, "contract.not_found")
    assert problem.type_.endswith("/contract.not_found") and problem.detail


async def test_a_422_is_parsed_as_a_problem_with_its_errors(generated, app, sessionmaker,
                                                          headers_for):
    rep = generated.client(app, headers_for("sales_rep", sub="rep.client", dept="north"))
    response = await generated.api("contracts", "list_contracts").asyncio_detailed(
        client=rep, limit=1000)
    assert response.status_code == 422
    problem = response.parsed
    assert isinstance(problem, generated.models.Problem) and problem.code == "validation_error"
    [error] = problem.errors
    assert isinstance(error, generated.models.ProblemError)
    assert error.loc == ["query", "limit"] and error.msg and error.type_ == "less_than_equal"
