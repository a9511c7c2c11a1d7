"""Every list whose OpenAPI operation declares the file media types answers them: a CSV
with its header row, an XLSX that opens, for an empty list as for a full one."""

import pytest

from app.core.export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.main import create_app
from tests.conftest import make_settings
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.factories.departments import create_department


def _file_lists() -> list[str]:
    document = create_app(make_settings()).openapi()
    return sorted(path for path, item in document["paths"].items()
                  if CSV_MEDIA_TYPE in item.get("get", {}).get("responses", {})
                  .get("200", {}).get("content", {}))


FILE_LISTS = _file_lists()
# A list under a document (a budget's expenses) needs that document: its own tests cover
# it; a customer's timeline is made here.
TESTED_HERE = [path for path in FILE_LISTS if "{" not in path.replace("{customer_id}", "")]


def test_the_main_lists_offer_files():
    assert {"/api/v1/customers", "/api/v1/contracts", "/api/v1/receivables", "/api/v1/orders",
            "/api/v1/leads", "/api/v1/quotes", "/api/v1/opportunities",
            "/api/v1/reports/receivables-aging", "/api/v1/deliveries", "/api/v1/payments",
            "/api/v1/complaints", "/api/v1/visits", "/api/v1/approvals",
            "/api/v1/customers/{customer_id}/timeline", "/api/v1/audit-log",
            "/api/v1/products"} <= set(FILE_LISTS)


@pytest.mark.parametrize("path", TESTED_HERE)
async def test_each_list_answers_csv_and_xlsx(client, session, headers_for, path):
    # The GM reads every list but the audit log, which is the auditor's.
    gm = headers_for(roles=["gm", "auditor"], sub="gm")
    if "{customer_id}" in path:
        customer = await create_customer(session, department=await create_department(session))
        path = path.replace("{customer_id}", str(customer.id))
    response = await client.get(f"{path}?format=csv", headers=gm)
    assert response.status_code == 200, response.text
    header = read_csv(response)[0]
    assert header and all(header)
    response = await client.get(path, headers=gm | {"Accept": XLSX_MEDIA_TYPE,
                                                    "Accept-Language": "zh-CN"})
    assert response.status_code == 200, response.text
    assert all(read_xlsx(response)[0])
