"""Reading a report's file back against its JSON: the same figures in the same rows."""

from typing import Any
from urllib.parse import unquote

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.departments.models import Department
from tests.company import Company
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.contracts import contract_body

ZH = {"Accept-Language": "zh-CN"}


def csv_table(response: httpx.Response) -> tuple[list[str], list[list[str]]]:
    """The header row and the rows of a CSV answer (BOM and CRLF checked)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = read_csv(response)
    assert response.headers["x-export-rows"] == str(len(rows) - 1)
    return rows[0], rows[1:]


def xlsx_table(response: httpx.Response) -> tuple[list[Any], list[list[Any]]]:
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    return rows[0], rows[1:]


def as_csv(value: Any) -> str:
    return "" if value is None else str(value)


def as_xlsx(value: Any) -> Any:
    """A JSON figure as openpyxl reads its cell back: money, counts and rates as numbers."""
    if isinstance(value, str):
        return float(value)
    return value


def same_figures(header: list, row: list, block: dict, columns: dict[str, str], *,
                 xlsx: bool = False) -> None:
    """Each column (its header) of the file's row holds the JSON block's figure (its key)."""
    for title, key in columns.items():
        expected = as_xlsx(block[key]) if xlsx else as_csv(block[key])
        assert row[header.index(title)] == expected, (title, row, block)


def chinese_filename(response: httpx.Response) -> str:
    return unquote(response.headers["content-disposition"].split("''")[1])


async def name_department(session: AsyncSession, department_id: str, name: str) -> None:
    await session.execute(update(Department).where(Department.id == department_id)
                          .values(name=name))
    await session.commit()


async def known_as(client: httpx.AsyncClient, company: Company, headers_for: Any, sub: str,
                   name: str, dept: str = "east") -> None:
    """`sub` writes once under `name` (a contract draft), so the directory knows them."""
    headers = headers_for("sales_rep", sub=sub, dept=dept, name=name)
    response = await client.post("/api/v1/contracts", headers=headers, json=contract_body(
        company.customer_id, company.product_id))
    assert response.status_code == 201, response.text
