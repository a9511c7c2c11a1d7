"""Lists as files: CSV with a BOM and CRLF, XLSX readable back, headers by language, the
list's filters and sort honoured, every row across export pages."""

import csv
import io
from datetime import datetime
from urllib.parse import unquote

import openpyxl
import pytest

from app.core import export
from tests.factories.customers import create_customer
from tests.factories.departments import create_department

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_csv(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in body
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
async def customers(session):
    east = await create_department(session, id="east")
    return [
        await create_customer(session, department=east, owner_id="rep.a", name="杭州甲公司",
                              credit_limit="100000.00", credit_rating="A"),
        await create_customer(session, department=east, owner_id="rep.a", name="Beta Ltd",
                              credit_limit="100000.01", credit_rating="B"),
        await create_customer(session, department=east, owner_id="rep.b", name="Gamma",
                              credit_limit="0.00"),
    ]


@pytest.fixture
def gm(headers_for):
    return headers_for(role="gm", sub="gm")


async def test_csv_has_a_bom_crlf_and_chinese_headers(client, customers, gm):
    response = await client.get("/api/v1/customers?format=csv",
                                headers=gm | {"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][:2] == ["编号", "客户名称"]
    assert "信用额度" in rows[0]
    assert {row[1] for row in rows[1:]} == {"杭州甲公司", "Beta Ltd", "Gamma"}
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="customers-')
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("''")[1]).startswith("客户-")
    assert response.headers["content-language"] == "zh-CN"


async def test_english_headers_money_and_booleans_in_csv(client, customers, gm):
    response = await client.get("/api/v1/customers?format=csv&sort=credit_limit", headers=gm)
    rows = read_csv(response)
    header = rows[0]
    assert header[:2] == ["ID", "Name"]
    limits = [row[header.index("Credit limit")] for row in rows[1:]]
    assert limits == ["0.00", "100000.00", "100000.01"]
    assert {row[header.index("Key customer")] for row in rows[1:]} == {"no"}
    assert "filename*" not in response.headers["content-disposition"]


async def test_accept_header_asks_for_a_file(client, customers, gm):
    response = await client.get("/api/v1/customers", headers=gm | {"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    response = await client.get("/api/v1/customers", headers=gm | {"Accept": XLSX})
    assert response.headers["content-type"] == XLSX
    json_first = await client.get("/api/v1/customers", headers=gm | {
        "Accept": "application/json, text/csv;q=0.5"})
    assert json_first.headers["content-type"] == "application/json"
    assert "items" in json_first.json()


async def test_xlsx_reads_back_with_numbers_and_dates(client, customers, gm):
    response = await client.get("/api/v1/customers?format=xlsx&sort=-credit_limit",
                                headers=gm | {"Accept-Language": "zh"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    rows = read_xlsx(response)
    header = rows[0]
    assert header[1] == "客户名称"
    limit = header.index("信用额度")
    assert [row[limit] for row in rows[1:]] == [100000.01, 100000.0, 0.0]
    assert all(isinstance(row[header.index("创建时间")], datetime) for row in rows[1:])
    assert {row[header.index("重点客户")] for row in rows[1:]} == {"否"}


async def test_filters_and_visibility_are_those_of_the_list(client, customers, headers_for):
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    response = await client.get("/api/v1/customers?format=csv&credit_rating=B", headers=rep)
    rows = read_csv(response)
    assert [row[1] for row in rows[1:]] == ["Beta Ltd"]
    response = await client.get("/api/v1/customers?format=csv&sort=name", headers=rep)
    assert [row[1] for row in read_csv(response)[1:]] == ["Beta Ltd", "杭州甲公司"]


async def test_every_row_across_export_pages(client, session, gm, monkeypatch):
    east = await create_department(session, id="east")
    for n in range(7):
        await create_customer(session, department=east, name=f"Paged {n}")
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await client.get("/api/v1/customers?format=xlsx&sort=name&limit=1",
                                headers=gm)
    assert [row[1] for row in read_xlsx(response)[1:]] == [f"Paged {n}" for n in range(7)]
    assert response.headers["x-export-rows"] == "7"


async def test_an_empty_list_is_a_file_with_its_headers(client, gm):
    rows = read_csv(await client.get("/api/v1/customers?format=csv", headers=gm))
    assert len(rows) == 1


async def test_an_unknown_format_is_refused(client, gm):
    response = await client.get("/api/v1/customers?format=pdf", headers=gm)
    assert response.status_code == 422
