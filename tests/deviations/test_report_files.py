"""The deviation report as a file: a row per department (actual, last year's baseline,
the growth rate as a percentage, standard, deviation), the total last, the same figures as
the JSON report, for the departments the caller answers for."""

from app.core import export
from tests.deviations.conftest import REPORT, shanghai
from tests.export.report_files import (
    ZH,
    chinese_filename,
    csv_table,
    name_department,
    same_figures,
    xlsx_table,
)

FIGURES = {"实际": "actual", "去年同期": "baseline", "标准": "standard", "偏差": "deviation"}


async def test_a_row_per_department_and_the_total(books, session):
    await books.sale("100.00", shanghai(2024, 6, 1, 9, 0))
    await books.sale("80.00", shanghai(2025, 6, 1, 9, 0))
    await books.sale("40.00", shanghai(2024, 6, 3, 9, 0), department="west")
    await books.sale("70.00", shanghai(2025, 6, 3, 9, 0), department="west")
    await books.target("0.125", 2025, department="west")
    await name_department(session, "east", "华东销售部")
    await name_department(session, "west", "华西销售部")
    report = await books.report("2025-06")
    blocks = [*report["departments"], report["total"]]
    client, gm = books.client, books.company.gm

    response = await client.get(REPORT, headers=gm | ZH,
                                params={"period": "2025-06", "format": "csv"})
    header, rows = csv_table(response)
    assert header == ["部门", "期间", "实际", "去年同期", "增长率(%)", "增长率已设定", "标准",
                      "偏差", "低于标准"]
    assert [row[:2] for row in rows] == [["华东销售部", "2025-06"], ["华西销售部", "2025-06"],
                                         ["合计", "2025-06"]]
    for row, block in zip(rows, blocks, strict=True):
        same_figures(header, row, block, FIGURES)
    east, west, total = rows
    assert (east[4], east[5], east[-1]) == ("0.00", "否", "是")
    assert (west[4], west[5], west[header.index("标准")], west[-1]) == (
        "12.50", "是", "45.00", "否")
    assert (total[4], total[5], total[-1]) == ("", "", "否")  # 150.00 against 145.00
    assert chinese_filename(response).startswith("销售偏差-")

    header, rows = xlsx_table(await client.get(REPORT, headers=gm | ZH | {
        "Accept": export.XLSX_MEDIA_TYPE}, params={"period": "2025-06"}))
    for row, block in zip(rows, blocks, strict=True):
        same_figures(header, row, block, FIGURES, xlsx=True)
    assert rows[1][header.index("增长率(%)")] == 12.5


async def test_a_head_downloads_their_department_and_the_period_is_required(books):
    await books.sale("10.00", shanghai(2025, 6, 1, 9, 0))
    header, rows = csv_table(await books.client.get(REPORT, headers=books.company.head,
                                                    params={"period": "2025",
                                                            "format": "csv"}))
    assert header[:3] == ["Department", "Period", "Actual"]
    assert [row[2] for row in rows] == ["10.00", "10.00"] and rows[-1][0] == "Total"
    response = await books.client.get(REPORT, headers=books.company.head,
                                      params={"format": "csv"})
    assert response.status_code == 422
