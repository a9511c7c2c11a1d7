"""Orders and leads as files."""

from datetime import date

from app.orders.models import OrderStatus
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.export.test_customer_import import upload, xlsx
from tests.factories.confirmed_orders import create_confirmed_order
from tests.factories.customers import create_customer
from tests.factories.departments import create_department


async def test_orders_as_xlsx_filtered_by_status(client, session, headers_for):
    east = await create_department(session, id="east")
    customer = await create_customer(session, department=east, name="订单客户")
    await create_confirmed_order(session, customer=customer, requested_date=date(2026, 3, 1))
    await create_confirmed_order(session, customer=customer, status=OrderStatus.cancelled)
    gm = headers_for(role="gm", sub="gm")
    response = await client.get("/api/v1/orders?format=xlsx&status=confirmed",
                                headers=gm | {"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    rows = read_xlsx(response)
    header = rows[0]
    (row,) = rows[1:]
    assert row[header.index("状态")] == "已确认"
    assert row[header.index("客户")] == "订单客户"
    assert row[header.index("要求交货日期")].date() == date(2026, 3, 1)
    assert row[header.index("订单金额")] == 1130


async def test_leads_exported_with_the_import_s_source_names(client, session, headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = xlsx([["来源", "公司名称", "联系人", "电子邮箱"],
                    ["转介绍", "温州丙公司", "钱", "q@example.com"]])
    imported = await client.post("/api/v1/leads/import", headers=rep, files=upload(content))
    assert imported.status_code == 200, imported.text
    response = await client.get("/api/v1/leads", headers=rep | {
        "Accept": "text/csv", "Accept-Language": "zh-CN"})
    rows = read_csv(response)
    header = rows[0]
    (row,) = rows[1:]
    assert (row[header.index("来源")], row[header.index("公司名称")],
            row[header.index("状态")]) == ("转介绍", "温州丙公司", "新建")
