"""The funnel, collection schedule, daily report and cash forecast as files: the rows a
manager keeps in Excel (a row per group, the total last), Chinese headers and labels, the
same figures as the JSON report, within the same visibility."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.core import export
from app.departments.models import Department
from app.receivables.models import DunningAction
from tests.export.report_files import (
    ZH,
    chinese_filename,
    csv_table,
    known_as,
    name_department,
    same_figures,
    xlsx_table,
)
from tests.factories.ledger import create_dunning
from tests.reports.test_cash_forecast import AS_OF, expected  # noqa: F401
from tests.reports.test_collection_schedule import ON, owed  # noqa: F401
from tests.reports.test_daily import DAY, day  # noqa: F401
from tests.reports.test_funnel import funnel_world  # noqa: F401

XLSX = export.XLSX_MEDIA_TYPE
FUNNEL, SCHEDULE = "/api/v1/reports/funnel", "/api/v1/reports/collection-schedule"
DAILY, FORECAST = "/api/v1/reports/daily", "/api/v1/reports/cash-forecast"


async def west_name(session) -> str:
    west = await session.get(Department, "west")
    await session.refresh(west)
    return west.name


FUNNEL_FIGURES = {"线索数": "leads", "有效线索": "qualified", "商机数": "opportunities",
           "商机金额": "opportunity_amount", "赢单数": "won", "赢单金额": "won_amount",
           "有效率(%)": "qualification_rate", "转化率(%)": "conversion_rate",
           "赢单率(%)": "win_rate"}


class TestFunnel:
    async def test_a_row_per_rep_department_subtotals_and_the_total(
            self, client, company, session, headers_for, funnel_world):  # noqa: F811
        await name_department(session, "east", "华东销售部")
        await known_as(client, company, headers_for, "rep.zhang", "张伟")
        west = await west_name(session)
        report = (await client.get(FUNNEL, headers=company.gm, params=funnel_world)).json()
        east_block, west_block = report["departments"]
        blocks = [*east_block["reps"], east_block, *west_block["reps"], west_block,
                  report["total"]]

        response = await client.get(FUNNEL, headers=company.gm | ZH,
                                    params=funnel_world | {"format": "csv"})
        header, rows = csv_table(response)
        assert header == ["部门", "负责人", *FUNNEL_FIGURES]
        assert [(row[0], row[1]) for row in rows] == [
            ("华东销售部", "rep.liu"), ("华东销售部", "张伟"), ("华东销售部", "部门线索池"),
            ("华东销售部", "小计"), (west, "rep.west"), (west, "小计"), ("合计", "")]
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, FUNNEL_FIGURES)
        assert rows[1][header.index("赢单率(%)")] == "50.00"
        assert rows[-1][header.index("商机金额")] == "125033.83"
        assert chinese_filename(response).startswith("销售漏斗-")

        response = await client.get(FUNNEL, headers=company.gm | ZH | {"Accept": XLSX},
                                    params=funnel_world)
        header, rows = xlsx_table(response)
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, FUNNEL_FIGURES, xlsx=True)
        assert rows[-1][0] == "合计" and rows[-1][header.index("赢单金额")] == 90033.33
        assert rows[2][header.index("赢单率(%)")] is None  # the pool: no opportunity, no rate

    async def test_a_rep_downloads_only_their_own(self, client, company,
                                                  funnel_world):  # noqa: F811
        mine = (await client.get(FUNNEL, headers=company.rep, params=funnel_world)).json()
        header, rows = csv_table(await client.get(FUNNEL, headers=company.rep | ZH,
                                                  params=funnel_world | {"format": "csv"}))
        assert [row[1] for row in rows] == ["rep.zhang", "小计", ""]
        same_figures(header, rows[-1], mine["total"], FUNNEL_FIGURES)

    async def test_an_invalid_range_is_a_problem_not_a_file(self, client, company):
        response = await client.get(FUNNEL, headers=company.gm, params={
            "from": "2026-03-02", "to": "2026-03-01", "format": "xlsx"})
        assert response.status_code == 422
        assert response.json()["code"] == "report.invalid_range"


class TestCollectionSchedule:
    async def test_every_row_across_pages_with_the_cny_total(self, client, company, session,
                                                             headers_for, owed,  # noqa: F811
                                                             monkeypatch):
        await known_as(client, company, headers_for, "rep.zhang", "张伟")
        items = (await client.get(SCHEDULE, headers=company.gm,
                                  params={"date": str(ON)})).json()["items"]
        monkeypatch.setattr(export, "EXPORT_PAGE", 4)  # three pages
        response = await client.get(SCHEDULE, headers=company.gm | ZH,
                                    params={"date": str(ON), "format": "csv", "limit": 1})
        header, rows = csv_table(response)
        assert header[:4] == ["负责人", "部门", "客户", "应收编号"]
        assert len(rows) == len(items) + 1 == 10
        assert [row[header.index("应收编号")] for row in rows[:-1]] == [
            item["number"] for item in items]
        for row, item in zip(rows, items, strict=False):
            same_figures(header, row, item, {"逾期天数": "days_overdue", "币种": "currency",
                                             "未收余额": "balance", "到期日": "due_date",
                                             "未收余额（人民币）": "balance_base"})
        zhang = rows[2]
        assert (zhang[0], zhang[header.index("客户")], zhang[header.index("建议催收方式")]) == (
            "张伟", items[2]["customer_name"], "法律途径")
        assert rows[-2][header.index("建议催收方式")] == ""  # due that day: nothing yet
        total = sum(Decimal(item["balance_base"]) for item in items)
        assert rows[-1][0] == "合计" and rows[-1][header.index("未收余额（人民币）")] == str(total)
        assert rows[-1][header.index("未收余额")] == ""
        assert chinese_filename(response).startswith("回款计划-")

    async def test_as_xlsx_with_the_last_dunning(self, client, company, session,
                                                 owed):  # noqa: F811
        await create_dunning(session, receivable=owed[61], action=DunningAction.visit,
                             days_overdue=45, promised_on=date(2026, 7, 10),
                             at=datetime(2026, 6, 14, 3, tzinfo=UTC))
        response = await client.get(SCHEDULE, headers=company.rep | ZH | {"Accept": XLSX},
                                    params={"date": str(ON)})
        header, rows = xlsx_table(response)
        assert len(rows) == 8  # rep.zhang's seven, then the total
        first = rows[0]
        assert first[header.index("最近催收方式")] == "上门催收"
        # 03:00 UTC is 11:00 in Shanghai.
        assert first[header.index("最近催收时间")] == datetime(2026, 6, 14, 11, 0)
        assert first[header.index("承诺付款日")] == datetime(2026, 7, 10)
        assert first[header.index("未收余额")] == 63.0
        assert rows[-1][0] == "合计" and rows[-1][header.index("未收余额（人民币）")] == 445.5


DAILY_FIGURES = {"确认订单数": "confirmed_orders", "确认订单金额": "confirmed_amount",
           "回款笔数": "payments", "回款金额": "collected",
           "其中逾期回款": "overdue_collected", "新增客户": "new_customers",
           "未结投诉": "open_complaints"}


class TestDaily:
    @pytest.mark.usefixtures("day")
    async def test_a_row_per_department_and_the_total(self, client, company, session):
        await name_department(session, "east", "华东销售部")
        west = await west_name(session)
        report = (await client.get(DAILY, headers=company.gm, params={"date": str(DAY)})).json()
        blocks = [*report["departments"], report["total"]]
        response = await client.get(DAILY, headers=company.gm | ZH,
                                    params={"date": str(DAY), "format": "csv"})
        header, rows = csv_table(response)
        assert header == ["部门", "日期", *DAILY_FIGURES]
        assert [(row[0], row[1]) for row in rows] == [
            ("华东销售部", "2026-03-10"), (west, "2026-03-10"), ("合计", "2026-03-10")]
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, DAILY_FIGURES)
        assert chinese_filename(response).startswith("销售日报-")

        header, rows = xlsx_table(await client.get(DAILY, headers=company.gm | ZH, params={
            "date": str(DAY), "format": "xlsx"}))
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, DAILY_FIGURES, xlsx=True)
        assert rows[-1][header.index("确认订单金额")] == 1284.56

    @pytest.mark.usefixtures("day")
    async def test_english_headers_and_a_reps_own_day(self, client, company, session):
        await name_department(session, "east", "East China")
        response = await client.get(DAILY, headers=company.other_rep,
                                    params={"date": str(DAY), "format": "csv"})
        header, rows = csv_table(response)
        assert header[:3] == ["Department", "Date", "Orders confirmed"]
        assert [row[0] for row in rows] == ["East China", "Total"]
        assert rows[-1][header.index("Amount confirmed")] == "234.56"
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="daily-report-')


CASH_AMOUNTS = {"应收账款": "receivables", "合同回款节点（未开票）": "milestones",
           "合计": "total"}


class TestCashForecast:
    @pytest.mark.usefixtures("expected")
    async def test_overdue_weeks_later_undated_and_the_total(self, client, company):
        report = (await client.get(FORECAST, headers=company.rep,
                                   params={"as_of": str(AS_OF)})).json()
        blocks = [report["overdue"], *report["weeks"], report["later"], report["undated"],
                  report["total"]]
        response = await client.get(FORECAST, headers=company.rep | ZH,
                                    params={"as_of": str(AS_OF), "format": "csv"})
        header, rows = csv_table(response)
        assert header == ["期间", "起始日", "截止日", *CASH_AMOUNTS]
        assert [row[0] for row in rows] == [
            "已逾期", *(week["week"] for week in report["weeks"]), "13周以后", "无法确定日期",
            "合计"]
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, CASH_AMOUNTS)
        assert rows[0][1:3] == ["", "2026-06-02"]
        assert rows[1][1:3] == ["2026-06-03", "2026-06-07"]
        assert rows[14][1:3] == ["2026-08-31", ""]
        assert rows[-1][header.index("合计")] == "14363.00"
        assert chinese_filename(response).startswith("现金预测-")

        header, rows = xlsx_table(await client.get(
            FORECAST, headers=company.rep | ZH | {"Accept": XLSX},
            params={"as_of": str(AS_OF)}))
        for row, block in zip(rows, blocks, strict=True):
            same_figures(header, row, block, CASH_AMOUNTS, xlsx=True)
