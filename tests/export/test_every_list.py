"""Every list and report whose OpenAPI operation declares the file media types answers
them: a CSV with its header row, an XLSX that opens, for an empty list as for a full one.
(A list under a document — one plan's progress, a budget's expenses — is checked with its
document in that domain's tests; a customer's timeline is made here.)"""

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


FILES = _file_lists()
TESTED_HERE = [path for path in FILES if "{" not in path.replace("{customer_id}", "")]
# What a route cannot answer without.
REQUIRED = {"/api/v1/reports/deviation": {"period": "2026"},
            "/api/v1/calendar": {"from": "2026-01-01", "to": "2026-12-31"}}


def test_the_main_lists_offer_files():
    assert {"/api/v1/customers", "/api/v1/contracts", "/api/v1/receivables", "/api/v1/orders",
            "/api/v1/leads", "/api/v1/quotes", "/api/v1/opportunities",
            "/api/v1/reports/receivables-aging", "/api/v1/deliveries", "/api/v1/payments",
            "/api/v1/complaints", "/api/v1/visits", "/api/v1/approvals",
            "/api/v1/customers/{customer_id}/timeline", "/api/v1/audit-log",
            "/api/v1/products", "/api/v1/sales-plans", "/api/v1/sales-targets",
            "/api/v1/expense-budgets", "/api/v1/growth-targets",
            "/api/v1/deviation-analyses"} <= set(FILES)


def test_every_report_offers_files():
    reports = {path for path in FILES if path.startswith("/api/v1/reports/")}
    assert {f"/api/v1/reports/{name}" for name in (
        "funnel", "receivables-aging", "collection-schedule", "daily", "cash-forecast",
        "plan-progress", "complaints", "deviation")} == reports
    assert "/api/v1/sales-plans/{plan_id}/progress" in FILES


@pytest.mark.parametrize("path", TESTED_HERE)
async def test_each_list_answers_csv_and_xlsx(client, session, headers_for, path):
    # The GM reads every list but the audit log, which is the auditor's, and the webhooks,
    # which are the admin's.
    gm = headers_for(roles=["gm", "auditor", "admin"], sub="gm")
    if "{customer_id}" in path:
        customer = await create_customer(session, department=await create_department(session))
        path = path.replace("{customer_id}", str(customer.id))
    params = REQUIRED.get(path, {})
    response = await client.get(path, headers=gm, params=params | {"format": "csv"})
    assert response.status_code == 200, response.text
    header = read_csv(response)[0]
    assert header and all(header)
    response = await client.get(path, headers=gm | {"Accept": XLSX_MEDIA_TYPE,
                                                    "Accept-Language": "zh-CN"}, params=params)
    assert response.status_code == 200, response.text
    assert all(read_xlsx(response)[0])
