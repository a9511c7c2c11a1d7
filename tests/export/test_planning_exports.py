"""The planning documents' lists as files: sales plans and the reps' targets, expense
budgets (a row per item, with its twelve months), a budget's expenses and overrides, growth
targets, deviation analyses, and the delegations and departments lists. Chinese headers,
labels and file names under zh-CN; money as numbers and days as dates in XLSX; the list's
filters, sort and visibility; every row across export pages."""

from datetime import datetime
from urllib.parse import unquote

import pytest

from app.budgets.models import ExpenseCategory
from app.core import export
from app.core.db import commit
from app.core.messages import EXPENSE_CATEGORIES
from app.customers.models import Customer
from app.departments.models import Department
from tests.budgets.conftest import BUDGETS, Office
from tests.deviations.conftest import ANALYSES, TARGETS, Books, shanghai
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.factories.plans import PLANS, Planner, ok, target
from tests.factories.plans import TARGETS as SALES_TARGETS

ZH = {"Accept-Language": "zh-CN"}


def file_name(response) -> str:
    """The Chinese file name of a file answer (`filename*`)."""
    return unquote(response.headers["content-disposition"].split("''")[1])


def column(rows: list[list], header: str) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
async def east(session, company) -> Department:
    """Department east under the name its people know it by."""
    department = await session.get(Department, "east")
    assert department is not None
    department.name = "华东销售部"
    await commit(session)
    return department


@pytest.fixture
def planner(client, company) -> Planner:
    return Planner(client, company)


@pytest.fixture
def office(client, company, headers_for) -> Office:
    return Office(client, company, headers_for("dept_head", sub="head.zhao", dept="west"))


@pytest.fixture
async def books(client, session, company, east, headers_for) -> Books:
    customer = await session.get(Customer, company.customer_id)
    west = await session.get(Department, "west")
    assert customer is not None and west is not None
    return Books(client, session, company,
                 {"east": customer,
                  "west": await create_customer(session, department=west, owner_id="rep.west")},
                 headers_for("dept_head", sub="head.zhao", dept="west"))


class TestSalesPlans:
    async def test_csv_in_chinese_with_labels_names_and_money(self, client, company, east,
                                                              planner):
        await planner.create("2026", "1000000.00")
        await planner.submit((await planner.create("2026-03", "100000.01"))["id"])
        response = await client.get(f"{PLANS}?format=csv&sort=target_amount",
                                    headers=company.gm | ZH)
        assert response.status_code == 200, response.text
        rows = read_csv(response)
        assert rows[0][:4] == ["计划编号", "版本", "计划名称", "部门"]
        assert column(rows, "期间") == ["2026-03", "2026"]
        assert column(rows, "计划类型") == ["月度", "年度"]
        assert column(rows, "目标金额") == ["100000.01", "1000000.00"]
        assert column(rows, "状态") == ["待审批", "草稿"]
        assert column(rows, "部门") == ["华东销售部", "华东销售部"]
        assert column(rows, "编制人") == ["head.wang", "head.wang"]
        assert file_name(response).startswith("销售计划-")
        assert response.headers["x-export-rows"] == "2"

    async def test_filters_and_visibility_are_the_list_s(self, client, company, east, planner,
                                                         headers_for):
        await planner.create("2026", "10.00")
        await planner.create("2027", "20.00")
        rows = read_csv(await client.get(f"{PLANS}?format=csv&year=2027", headers=company.gm))
        assert column(rows, "Target") == ["20.00"]
        west_head = headers_for("dept_head", sub="head.zhao", dept="west")
        assert len(read_csv(await client.get(f"{PLANS}?format=csv", headers=west_head))) == 1

    async def test_xlsx_has_numbers_and_times(self, client, company, east, planner):
        await planner.approved("2026", "1000.00", target("rep.zhang", "1000.00"))
        response = await client.get(PLANS, headers=company.head | ZH | {
            "Accept": export.XLSX_MEDIA_TYPE})
        assert response.headers["content-type"] == export.XLSX_MEDIA_TYPE
        rows = read_xlsx(response)
        assert column(rows, "目标金额") == [1000.0]
        assert column(rows, "已分解金额") == [1000.0]
        assert column(rows, "状态") == ["已批准"]
        assert isinstance(column(rows, "批准时间")[0], datetime)


class TestSalesTargets:
    async def test_a_rep_gets_their_own_target_with_its_months(self, client, company, east,
                                                               planner):
        await planner.approved("2026", "1000.00",
                               target("rep.zhang", "600.00", {1: "100.00", 12: "500.00"}),
                               target("rep.liu", "400.00"))
        response = await client.get(f"{SALES_TARGETS}?format=xlsx", headers=company.rep | ZH)
        assert response.status_code == 200, response.text
        rows = read_xlsx(response)
        assert rows[0][:4] == ["计划编号", "期间", "部门", "业务员"]
        (row,) = rows[1:]
        assert row[rows[0].index("业务员账号")] == "rep.zhang"
        assert row[rows[0].index("目标金额")] == 600.0
        assert (row[rows[0].index("1月")], row[rows[0].index("2月")],
                row[rows[0].index("12月")]) == (100.0, None, 500.0)
        assert row[rows[0].index("计划状态")] == "已批准"
        assert row[rows[0].index("部门")] == "华东销售部"
        assert file_name(response).startswith("业绩目标-")

    async def test_the_head_gets_every_rep_s_in_the_list_s_sort(self, client, company, east,
                                                                planner):
        await planner.approved("2026", "1000.00", target("rep.zhang", "600.00"),
                               target("rep.liu", "400.00"))
        rows = read_csv(await client.get(f"{SALES_TARGETS}?format=csv&sort=amount",
                                         headers=company.head))
        assert column(rows, "Rep ID") == ["rep.liu", "rep.zhang"]
        assert column(rows, "Target") == ["400.00", "600.00"]
        assert column(rows, "Month 1") == ["", ""]


class TestExpenseBudgets:
    async def test_a_row_per_item_with_its_twelve_months(self, client, company, east, office):
        budget = await office.approved()
        ok(await office.spend(budget["id"], "300.00"), 201)
        response = await client.get(f"{BUDGETS}?format=xlsx", headers=company.finance | ZH)
        assert response.status_code == 200, response.text
        rows = read_xlsx(response)
        header = rows[0]
        assert header[:6] == ["预算编号", "预算名称", "部门", "年度", "状态", "费用类别"]
        assert [f"{m}月" for m in range(1, 13)] == header[
            header.index("1月"):header.index("12月") + 1]
        by_category = {row[header.index("费用类别")]: row for row in rows[1:]}
        assert set(by_category) == {"差旅费", "办公费", "广告费"}
        travel = by_category["差旅费"]
        assert travel[header.index("全年预算")] == 120000.0
        assert travel[header.index("1月")] == 6000.0  # 5 % of the year
        assert travel[header.index("11月")] == 14400.0
        months = [travel[header.index(f"{m}月")] for m in range(1, 13)]
        assert round(sum(months), 2) == 120000.0
        office_row = by_category["办公费"]
        assert office_row[header.index("已发生")] == 300.0
        assert office_row[header.index("预算余额")] == 9700.0
        assert {row[header.index("状态")] for row in rows[1:]} == {"已批准"}
        assert {row[header.index("部门")] for row in rows[1:]} == {"华东销售部"}
        assert isinstance(travel[header.index("批准时间")], datetime)
        assert file_name(response).startswith("费用预算-")
        assert response.headers["x-export-rows"] == "3"

    async def test_csv_money_filters_and_visibility(self, client, company, east, office):
        await office.draft()
        await office.draft(year=2027, items=[{"category": "exhibition", "amount": "5.00"}])
        rows = read_csv(await client.get(f"{BUDGETS}?format=csv&year=2027&sort=total",
                                         headers=company.head | ZH))
        assert column(rows, "费用类别") == ["展览费"]
        assert column(rows, "全年预算") == ["5.00"]
        assert column(rows, "12月")[0] != ""
        rows = read_csv(await client.get(f"{BUDGETS}?format=csv", headers=office.west_head))
        assert len(rows) == 1

    async def test_every_budget_s_items_across_export_pages(self, client, company, east,
                                                            office, monkeypatch):
        for year in (2026, 2027, 2028):
            await office.draft(year=year)
        monkeypatch.setattr(export, "EXPORT_PAGE", 1)
        response = await client.get(f"{BUDGETS}?format=csv&sort=year&limit=1",
                                    headers=company.head)
        rows = read_csv(response)
        assert column(rows, "Year") == ["2026"] * 3 + ["2027"] * 3 + ["2028"] * 3
        assert response.headers["x-export-rows"] == "9"


class TestExpensesAndOverrides:
    async def test_expenses_with_days_labels_and_names(self, client, company, east, office,
                                                       headers_for):
        budget = await office.approved()
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        ok(await office.spend(budget["id"], "300.00", spent_on="2026-03-05", headers=head),
           201)
        ok(await office.spend(budget["id"], "1000.50", category="travel",
                              spent_on="2026-02-01"), 201)
        url = f"{BUDGETS}/{budget['id']}/expenses"
        rows = read_csv(await client.get(f"{url}?format=csv&sort=spent_on",
                                         headers=company.head | ZH))
        assert rows[0][:3] == ["发生日期", "费用类别", "金额"]
        assert column(rows, "发生日期") == ["2026-02-01", "2026-03-05"]
        assert column(rows, "费用类别") == ["差旅费", "办公费"]
        assert column(rows, "金额") == ["1000.50", "300.00"]
        assert column(rows, "经办人") == ["王主任", "王主任"]
        response = await client.get(f"{url}?format=xlsx&category=office", headers=company.head)
        rows = read_xlsx(response)
        assert column(rows, "Category") == ["Office"]
        assert column(rows, "Amount") == [300.0]
        assert column(rows, "Spent on")[0].date().isoformat() == "2026-03-05"
        assert file_name(await client.get(f"{url}?format=csv", headers=company.head | ZH)
                         ).startswith("费用-")

    async def test_another_department_s_budget_is_not_found(self, client, company, east,
                                                            office):
        budget = await office.approved()
        for path in ("expenses", "overrides"):
            response = await client.get(f"{BUDGETS}/{budget['id']}/{path}?format=csv",
                                        headers=office.west_head)
            assert response.status_code == 404

    async def test_overrides_with_what_they_go_beyond(self, client, company, east, office):
        budget = await office.approved()
        ok(await office.override(budget["id"], "10000.50"), 201)
        response = await client.get(f"{BUDGETS}/{budget['id']}/overrides?format=csv",
                                    headers=company.gm | ZH)
        assert response.status_code == 200, response.text
        rows = read_csv(response)
        assert column(rows, "费用类别") == ["办公费"]
        assert column(rows, "金额") == ["10000.50"]
        assert column(rows, "申请时预算余额") == ["10000.00"]
        assert column(rows, "超出金额") == ["0.50"]
        assert column(rows, "状态") == ["待审批"]
        assert column(rows, "申请理由") == ["客户临时加开展会"]
        assert file_name(response).startswith("超预算审批-")
        rows = read_xlsx(await client.get(
            f"{BUDGETS}/{budget['id']}/overrides?format=xlsx&status=approved",
            headers=company.gm))
        assert len(rows) == 1


class TestDeviationControl:
    async def test_growth_targets_as_percentages(self, client, company, east, books):
        await books.target("0.1", 2025)
        await books.target("0.0525", 2026, department="west")
        rows = read_xlsx(await client.get(f"{TARGETS}?format=xlsx&sort=year",
                                          headers=company.gm | ZH))
        assert rows[0][:3] == ["部门", "年度", "计划增长率（%）"]
        assert column(rows, "计划增长率（%）") == [10.0, 5.25]
        assert column(rows, "年度") == [2025, 2026]
        response = await client.get(f"{TARGETS}?format=csv", headers=company.head | ZH)
        rows = read_csv(response)
        assert column(rows, "部门") == ["华东销售部"]
        assert column(rows, "计划增长率（%）") == ["10.00"]
        assert file_name(response).startswith("增长目标-")

    async def test_analyses_with_their_figures_and_measures(self, client, company, east,
                                                            books):
        await books.sale("1000.00", shanghai(2024, 2, 10, 9, 0))
        await books.sale("900.00", shanghai(2025, 2, 10, 9, 0))
        await books.target("0.1", 2025)
        ok(await client.post(ANALYSES, headers=company.head, json={
            "department_id": "east", "period": "2025-02", "causes": "主要客户推迟采购",
            "measures": [{"description": "重点客户逐一拜访", "owner_id": "rep.zhang",
                          "due_date": "2025-04-30"}]}), 201)
        response = await client.get(f"{ANALYSES}?format=csv", headers=company.head | ZH)
        assert response.status_code == 200, response.text
        rows = read_csv(response)
        assert (column(rows, "期间"), column(rows, "实际销售额"), column(rows, "上年同期"),
                column(rows, "计划增长率（%）"), column(rows, "最低控制标准"),
                column(rows, "偏差"), column(rows, "状态"), column(rows, "改进措施数"),
                column(rows, "已完成措施数")) == (
            ["2025-02"], ["900.00"], ["1000.00"], ["10.00"], ["1100.00"], ["-200.00"],
            ["草稿"], ["1"], ["0"])
        assert file_name(response).startswith("偏差分析-")
        rows = read_xlsx(await client.get(f"{ANALYSES}?format=xlsx", headers=company.gm))
        assert column(rows, "Deviation") == [-200.0]
        assert column(rows, "Status") == ["Draft"]
        assert len(read_csv(await client.get(f"{ANALYSES}?format=csv",
                                             headers=books.west_head))) == 1


class TestDelegationsAndDepartments:
    async def test_my_delegations_with_names_and_dates(self, client, headers_for,
                                                       monkeypatch):
        vp = headers_for("deputy_gm", sub="vp.li", depts=["east"], name="李副总")
        ok(await client.post("/api/v1/delegations", headers=vp, json={
            "delegate_id": "gm.zhou", "start_date": "2099-01-01", "end_date": "2099-01-10",
            "reason": "出差"}), 201)
        ok(await client.post("/api/v1/delegations", headers=vp, json={
            "delegate_id": "head.wang", "start_date": "2099-02-01",
            "end_date": "2099-02-03"}), 201)
        other = headers_for("gm", sub="gm.other")
        ok(await client.post("/api/v1/delegations", headers=other, json={
            "delegate_id": "someone", "start_date": "2099-01-01",
            "end_date": "2099-01-02"}), 201)
        monkeypatch.setattr(export, "EXPORT_PAGE", 1)
        response = await client.get("/api/v1/delegations?format=xlsx", headers=vp | ZH)
        assert response.status_code == 200, response.text
        rows = read_xlsx(response)
        assert rows[0][:4] == ["委托人", "受托人", "开始日期", "结束日期"]
        assert column(rows, "委托人") == ["李副总", "李副总"]
        assert column(rows, "受托人") == ["head.wang", "gm.zhou"]
        assert [d.date().isoformat() for d in column(rows, "开始日期")] == [
            "2099-02-01", "2099-01-01"]
        assert column(rows, "委托事由") == [None, "出差"]
        assert file_name(response).startswith("审批委托-")
        json_page = ok(await client.get("/api/v1/delegations", headers=vp))
        assert len(json_page["items"]) == 2

    async def test_departments_with_their_heads(self, client, company, east, headers_for):
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        # A write makes the head's name known.
        ok(await client.post(PLANS, headers=head, json={
            "department_id": "east", "period": "2026", "target_amount": "1.00"}), 201)
        etag = (await client.get("/api/v1/departments/east", headers=company.admin)
                ).headers["etag"]
        ok(await client.patch("/api/v1/departments/east",
                              headers=company.admin | {"If-Match": etag},
                              json={"head_id": "head.wang"}))
        response = await client.get("/api/v1/departments?format=csv&active=true",
                                    headers=company.rep | ZH)
        assert response.status_code == 200, response.text
        rows = read_csv(response)
        assert rows[0][:4] == ["部门编号", "部门名称", "部门负责人", "分管副总"]
        assert column(rows, "部门编号") == ["east", "west"]
        assert column(rows, "部门名称")[0] == "华东销售部"
        assert column(rows, "部门负责人")[0] == "王主任"
        assert column(rows, "启用") == ["是", "是"]
        assert file_name(response).startswith("部门-")


class TestLabels:
    def test_every_expense_category_has_a_label(self):
        assert set(EXPENSE_CATEGORIES) == {c.value for c in ExpenseCategory}

    async def test_the_catalogue_serves_the_expense_categories(self, client, headers_for):
        user = headers_for("gm", sub="gm.a")
        zh = ok(await client.get("/api/v1/messages?language=zh-CN", headers=user))
        assert zh["expense_categories"] == {
            "travel": "差旅费", "office": "办公费", "depreciation": "折旧费",
            "phone": "电话费", "commission": "佣金", "advertising": "广告费",
            "exhibition": "展览费", "other": "其他"}
        en = ok(await client.get("/api/v1/messages?language=en", headers=user))
        assert en["expense_categories"]["travel"] == "Travel"

    async def test_planning_reads_name_their_department(self, client, company, east,
                                                        planner):
        plan = await planner.create("2026", "10.00")
        assert plan["department_name"] == "华东销售部"


def test_the_planning_lists_offer_files():
    from tests.export.test_every_list import FILES

    assert {"/api/v1/sales-plans", "/api/v1/sales-targets", "/api/v1/expense-budgets",
            "/api/v1/expense-budgets/{budget_id}/expenses",
            "/api/v1/expense-budgets/{budget_id}/overrides", "/api/v1/growth-targets",
            "/api/v1/deviation-analyses", "/api/v1/delegations",
            "/api/v1/departments"} <= set(FILES)
