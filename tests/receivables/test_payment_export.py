"""The payment list as a file: Chinese headers, the method as its label, money as numbers
and the day received as a date in XLSX, the list's filters and visibility, every row across
export pages."""

from datetime import date, datetime

from app.core import export
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.ledger import create_payment, create_receivable

PAYMENTS = "/api/v1/payments"
ZH = {"Accept-Language": "zh-CN"}


async def _payments(session) -> None:
    """rep.a's customer paid twice (once on two receivables), rep.b's customer once."""
    east = await create_department(session, id="east")
    mine = await create_customer(session, department=east, owner_id="rep.a", name="甲方公司")
    theirs = await create_customer(session, department=east, owner_id="rep.b", name="乙方公司")
    first = await create_receivable(session, customer=mine, due_date=date(2026, 3, 31),
                                    amount="1000.00")
    second = await create_receivable(session, customer=mine, due_date=date(2026, 4, 30),
                                     amount="80.50")
    await create_payment(session, customer=mine, received_on=date(2026, 3, 2),
                         allocations=[(first, "1000.00"), (second, "80.50")])
    await create_payment(session, customer=mine, received_on=date(2026, 3, 5), amount="99.99")
    await create_payment(session, customer=theirs, received_on=date(2026, 3, 3),
                         amount="5000.00")


async def test_csv_with_chinese_headers_and_the_rep_s_own_payments(client, session,
                                                                  headers_for):
    await _payments(session)
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    response = await client.get(f"{PAYMENTS}?format=csv&sort=received_on",
                                headers=rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["收款单号", "客户", "收款日期", "收款方式"]
    assert [(row[header.index("客户")], row[header.index("收款日期")],
             row[header.index("收款方式")], row[header.index("收款金额")])
            for row in rows[1:]] == [("甲方公司", "2026-03-02", "银行转账", "1080.50"),
                                     ("甲方公司", "2026-03-05", "银行转账", "99.99")]
    settled = rows[1][header.index("核销应收（ID：金额）")]
    assert settled.count(":") == 2 and "1000.00" in settled and "80.50" in settled
    assert "filename*=UTF-8''%E6%94%B6%E6%AC%BE-" in response.headers["content-disposition"]


async def test_xlsx_numbers_dates_and_amount_filter(client, session, headers_for):
    await _payments(session)
    finance = headers_for(role="finance", sub="fin")
    response = await client.get(f"{PAYMENTS}?format=xlsx&amount_from=1000.00&sort=amount",
                                headers=finance | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    assert [(row[header.index("客户")], row[header.index("收款金额")],
             row[header.index("收款日期")]) for row in rows[1:]] == [
        ("甲方公司", 1080.5, datetime(2026, 3, 2)), ("乙方公司", 5000.0, datetime(2026, 3, 3))]


async def test_every_row_across_export_pages(client, session, headers_for, monkeypatch):
    await _payments(session)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    finance = headers_for(role="finance", sub="fin")
    response = await client.get(f"{PAYMENTS}?format=csv&sort=received_on&limit=1",
                                headers=finance)
    rows = read_csv(response)
    assert [row[rows[0].index("Received on")] for row in rows[1:]] == [
        "2026-03-02", "2026-03-03", "2026-03-05"]
    assert {row[rows[0].index("Method")] for row in rows[1:]} == {"Bank transfer"}
