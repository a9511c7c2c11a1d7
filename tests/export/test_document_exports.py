"""Contracts and receivables as files: states as labels, money as numbers with two places,
the list's filters (amount bounds to the cent, status) and sort honoured."""

import io
from datetime import date

import openpyxl

from app.receivables.models import ReceivableStatus
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.ledger import create_receivable


async def test_contracts_as_csv_with_labels_and_amount_bounds(client, company, draft, submitted):
    await draft("100000.00", title="甲")
    await submitted("100000.01", title="乙")
    await draft("99999.99", title="丙")
    response = await client.get(
        "/api/v1/contracts?format=csv&amount_from=100000.00&sort=total",
        headers=company.head | {"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["合同编号", "版本", "合同名称"]
    assert [(row[header.index("合同名称")], row[header.index("合同金额")],
             row[header.index("状态")]) for row in rows[1:]] == [
        ("甲", "100000.00", "草稿"), ("乙", "100000.01", "待审批")]
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="contracts-')


async def test_contracts_as_xlsx_in_english(client, company, draft):
    await draft("1234.56", title="Pumps")
    response = await client.get("/api/v1/contracts?format=xlsx", headers=company.head)
    rows = read_xlsx(response)
    header = rows[0]
    (row,) = rows[1:]
    assert row[header.index("Title")] == "Pumps"
    assert row[header.index("Total")] == 1234.56
    assert row[header.index("Status")] == "Draft"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cell = book.worksheets[0].cell(row=2, column=header.index("Total") + 1)
    assert cell.number_format == "#,##0.00"


async def test_receivables_with_due_dates_and_status_filter(client, session, headers_for):
    east = await create_department(session, id="east")
    customer = await create_customer(session, department=east, name="华东客户")
    await create_receivable(session, customer=customer, due_date=date(2026, 1, 31),
                            amount="500.00")
    await create_receivable(session, customer=customer, due_date=date(2026, 2, 28),
                            amount="800.00", balance="0.00")
    finance = headers_for(role="finance", sub="fin")
    response = await client.get("/api/v1/receivables?format=xlsx&sort=due_date",
                                headers=finance | {"Accept-Language": "zh-CN"})
    rows = read_xlsx(response)
    header = rows[0]
    due, status = header.index("到期日"), header.index("状态")
    assert [(row[due].date(), row[status], row[header.index("客户")]) for row in rows[1:]] == [
        (date(2026, 1, 31), "未收款", "华东客户"), (date(2026, 2, 28), "已收清", "华东客户")]
    response = await client.get(
        f"/api/v1/receivables?format=csv&status={ReceivableStatus.paid.value}", headers=finance)
    rows = read_csv(response)
    assert [row[rows[0].index("Amount")] for row in rows[1:]] == ["800.00"]


async def test_receivables_aging_as_csv_with_its_total(client, session, headers_for):
    east = await create_department(session, id="east")
    first = await create_customer(session, department=east, name="甲")
    second = await create_customer(session, department=east, name="乙")
    await create_receivable(session, customer=first, due_date=date(2026, 1, 31),
                            amount="100.00")
    await create_receivable(session, customer=second, due_date=date(2026, 3, 31),
                            amount="250.50")
    finance = headers_for(role="finance", sub="fin")
    response = await client.get("/api/v1/reports/receivables-aging?format=csv&as_of=2026-03-01",
                                headers=finance | {"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["分组", "客户", "笔数"]
    named = {row[1]: row for row in rows[1:-1]}
    assert named["甲"][header.index("逾期1-30天")] == "100.00"
    assert named["乙"][header.index("未到期")] == "250.50"
    assert rows[-1][0] == "合计" and rows[-1][header.index("余额合计")] == "350.50"
