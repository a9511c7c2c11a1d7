"""Customers from a spreadsheet: headers in Chinese or English, every row through the
single create's rules, all or nothing, a dry run that reports without writing."""

import io

import openpyxl
from sqlalchemy import func, select

from app.customers.models import Customer
from tests.factories.customers import create_customer, valid_credit_code
from tests.factories.departments import create_department

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "customers.xlsx", media: str = XLSX) -> dict:
    return {"file": (name, content, media)}


async def count(session) -> int:
    return (await session.execute(select(func.count()).select_from(Customer))).scalar_one()


async def test_xlsx_with_chinese_headers_creates_every_row(client, session, headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = xlsx([["客户名称", "统一社会信用代码", "联系人", "联系电话", "重点客户"],
                    ["杭州甲公司", valid_credit_code(), "张三", 13800138000, "是"],
                    [None, None, None, None, None],
                    ["Beta Ltd", None, "Li", "021-66668888", "否"]])
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(content))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["errors"]) == (2, 2, [])
    first = (await client.get(f"/api/v1/customers/{report['ids'][0]}", headers=rep)).json()
    assert first["name"] == "杭州甲公司" and first["owner_id"] == "rep.a"
    assert first["contacts"][0]["phone"] == "+8613800138000"
    assert first["is_key_customer"] is True


async def test_csv_with_english_headers_and_duplicate_warnings(client, session, headers_for):
    east = await create_department(session, id="east")
    existing = await create_customer(session, department=east, name="Gamma Trading Co., Ltd.")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = "\ufeffName,Contact,E-mail\r\nGamma Trading,Wang,a@example.com\r\n".encode()
    response = await client.post("/api/v1/customers/import?dry_run=false",
                                 headers=rep | {"Accept-Language": "zh-CN"},
                                 files=upload(content, "c.csv", "text/csv"))
    assert response.status_code == 200, response.text
    (warning,) = response.json()["warnings"]
    assert warning == {"row": 2, "field": "name", "code": "customer.possible_duplicate",
                       "message": f"与客户 {existing.id} 相似（名称相同）"}


async def test_failing_rows_are_reported_and_nothing_is_written(client, session, headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    code = valid_credit_code()
    content = xlsx([["Name", "Credit code", "Phone", "Credit limit"],
                    ["Good", code, None, None],
                    [None, None, None, None, "x"],
                    ["Bad code", "91350100M000100Y44", None, None],
                    ["Same code", code, None, None],
                    ["Credit", None, None, "100000.00"]])
    before = await count(session)
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(content))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import.rows_invalid"
    assert [(e["row"], e["field"], e["code"]) for e in problem["row_errors"]] == [
        (4, "credit_code", "value_error"),
        (5, "credit_code", "customer.duplicate_credit_code"),
        (6, "credit_limit", "customer.credit_terms_forbidden"),
    ]
    assert await count(session) == before


async def test_dry_run_reports_in_chinese_and_writes_nothing(client, session, headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = xlsx([["客户名称", "联系人", "电子邮箱"], ["好客户", None, None],
                    ["坏邮箱", "王", "not-an-email"], [None, "李", "x@example.com"]])
    before = await count(session)
    response = await client.post("/api/v1/customers/import?dry_run=true",
                                 headers=rep | {"Accept-Language": "zh-CN"},
                                 files=upload(content))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["rows"], report["created"], report["ids"]) == (
        True, 3, 0, [])
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, "contact_email", "value_error"), (4, "name", "missing")]
    assert report["errors"][1]["message"] == "缺少此字段"
    assert await count(session) == before


async def test_unknown_columns_and_unreadable_files_are_refused(client, session, headers_for):
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(xlsx([["Name", "Colour"], ["A", "red"]])))
    assert response.status_code == 422
    assert response.json()["code"] == "import.unknown_columns"
    assert response.json()["errors"][0]["loc"] == ["header", 2]
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(b"PK\x03\x04 not really a zip"))
    assert response.json()["code"] == "import.unreadable"
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(b"\xff\xfe\x00\x00\x81", "c.csv", "text/csv"))
    assert response.status_code == 422


async def test_too_many_rows(client, session, headers_for, monkeypatch):
    from app.core import imports
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 2)
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = b"Name\r\nA\r\nB\r\nC\r\n"
    response = await client.post("/api/v1/customers/import", headers=rep,
                                 files=upload(content, "c.csv", "text/csv"))
    assert response.status_code == 422
    assert response.json()["code"] == "import.too_many_rows"


async def test_import_needs_the_create_capability(client, session, headers_for):
    auditor = headers_for(role="auditor", sub="aud")
    response = await client.post("/api/v1/customers/import", headers=auditor,
                                 files=upload(xlsx([["Name"], ["A"]])))
    assert response.status_code == 403
