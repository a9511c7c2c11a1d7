"""The delivery list as a file: Chinese headers and labels, money as numbers and days as
dates in XLSX, the list's filters and visibility, every row across export pages."""

from datetime import date, datetime

from app.core import export
from tests.deliveries.conftest import DELIVERIES
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.factories.departments import create_department

ZH = {"Accept-Language": "zh-CN"}


async def _three_deliveries(shop) -> None:
    """Two of rep.zhang's customer (one shipped), one of another rep's customer."""
    order, [line] = await shop.order()
    first = await shop.planned(order.id, (line.id, "4"), planned_date="2026-03-12")
    await shop.shipped(first, shipped_on="2026-03-09")
    await shop.planned(order.id, (line.id, "6"))
    west = await create_department(shop.session, id="south")
    theirs = await create_customer(shop.session, department=west, owner_id="rep.liu",
                                   name="他人的客户")
    other, [other_line] = await shop.order(customer=theirs)
    await shop.planned(other.id, (other_line.id, "1"))


async def test_csv_with_chinese_headers_labels_and_visibility(client, shop):
    await _three_deliveries(shop)
    response = await client.get(f"{DELIVERIES}?format=csv&sort=created_at",
                                headers=shop.company.rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["发货单号", "订单ID", "客户", "状态"]
    assert {"发货金额", "计划发货日期", "发货日期", "运单号", "负责人", "部门"} <= set(header)
    # The rep sees their own customer's two deliveries, not the other rep's.
    assert [(row[header.index("状态")], row[header.index("发货金额")],
             row[header.index("承运商")]) for row in rows[1:]] == [
        ("已发货", "452.00", "顺丰速运"), ("已计划", "0.00", "")]
    assert {row[header.index("部门")] for row in rows[1:]} == {"east"}
    assert response.headers["x-export-rows"] == "2"
    assert "filename*=UTF-8''%E5%8F%91%E8%B4%A7%E5%8D%95-" in (
        response.headers["content-disposition"])


async def test_xlsx_money_dates_and_status_filter(client, shop):
    await _three_deliveries(shop)
    response = await client.get(f"{DELIVERIES}?format=xlsx&status=shipped",
                                headers=shop.logistics | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    (row,) = rows[1:]
    assert row[header.index("发货金额")] == 452.0
    assert row[header.index("发货日期")] == datetime(2026, 3, 9)
    assert row[header.index("计划发货日期")].date() == date(2026, 3, 12)
    assert isinstance(row[header.index("创建时间")], datetime)
    assert row[header.index("运单号")] == "SF1234567890"


async def test_every_row_across_export_pages(client, shop, monkeypatch):
    await _three_deliveries(shop)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await client.get(f"{DELIVERIES}?sort=created_at&limit=1",
                                headers=shop.logistics | {"Accept": "text/csv"})
    rows = read_csv(response)
    assert response.headers["x-export-rows"] == "3"
    assert [row[rows[0].index("Customer")] for row in rows[1:]][-1] == "他人的客户"
    assert len({row[0] for row in rows[1:]}) == 3
