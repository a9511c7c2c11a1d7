"""The price list as a file: Chinese headers, prices as numbers with two places, the list's
filters and sort, every product across export pages."""

from datetime import datetime

from app.core import export
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.products import create_product

PRODUCTS = "/api/v1/products"
ZH = {"Accept-Language": "zh-CN"}


async def _price_list(session) -> None:
    await create_product(session, sku="PUMP-100", list_price="12800.00", floor_price="11000.00",
                         product_line="pumps")
    await create_product(session, sku="PUMP-200", list_price="25600.50", floor_price="23000.00",
                         product_line="pumps")
    await create_product(session, sku="VALVE-10", list_price="360.00", floor_price="300.00",
                         tax_rate="0.09", product_line="valves")


async def test_csv_with_chinese_headers_and_the_line_filter(client, session, headers_for):
    await _price_list(session)
    rep = headers_for("sales_rep", sub="rep.a", dept="east")
    response = await client.get(f"{PRODUCTS}?format=csv&product_line=pumps&sort=-list_price",
                                headers=rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["产品编码", "产品名称", "单位"]
    assert [(row[0], row[header.index("标准单价")], row[header.index("最低限价")],
             row[header.index("税率")], row[header.index("在售")]) for row in rows[1:]] == [
        ("PUMP-200", "25600.50", "23000.00", "0.1300", "是"),
        ("PUMP-100", "12800.00", "11000.00", "0.1300", "是")]
    assert "filename*=UTF-8''%E4%BA%A7%E5%93%81-" in response.headers["content-disposition"]


async def test_xlsx_prices_as_numbers(client, session, headers_for):
    await _price_list(session)
    response = await client.get(f"{PRODUCTS}?format=xlsx&q=valve",
                                headers=headers_for("gm", sub="gm") | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    (row,) = rows[1:]
    assert (row[0], row[header.index("标准单价")], row[header.index("税率")]) == (
        "VALVE-10", 360.0, 0.09)
    assert isinstance(row[header.index("更新时间")], datetime)


async def test_every_product_across_export_pages(client, session, headers_for, monkeypatch):
    await _price_list(session)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await client.get(f"{PRODUCTS}?sort=sku&limit=1",
                                headers=headers_for("gm", sub="gm") | {"Accept": "text/csv"})
    assert [row[0] for row in read_csv(response)[1:]] == ["PUMP-100", "PUMP-200", "VALVE-10"]
    assert response.headers["x-export-rows"] == "3"
