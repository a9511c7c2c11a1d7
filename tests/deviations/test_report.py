"""GET /reports/deviation: actual against last year's actual grown by the planned rate,
in SQL, half-up to the cent, at the edges of months and years on the company calendar."""

from tests.deviations.conftest import REPORT, TARGETS, refused, row, shanghai


class TestArithmetic:
    async def test_february_of_a_leap_year_as_baseline_and_half_up(self, books):
        # February 2024 had a 29th; its first and last instants count, its neighbours not.
        await books.sale("77.00", shanghai(2024, 1, 31, 23, 59))
        await books.sale("400.03", shanghai(2024, 2, 1, 0, 0))
        await books.sale("600.00", shanghai(2024, 2, 29, 23, 59))
        await books.sale("55.00", shanghai(2024, 3, 1, 0, 0))
        await books.sale("1500.04", shanghai(2025, 2, 28, 18, 0))
        await books.target("0.5000", 2025)
        report = await books.report("2025-02")
        assert (report["period_start"], report["period_end"]) == ("2025-02-01", "2025-02-28")
        assert (report["baseline_start"], report["baseline_end"]) == ("2024-02-01",
                                                                      "2024-02-29")
        east = row(report)
        # 1000.03 × 1.5 = 1500.045: half-up 1500.05 (half-even would give 1500.04).
        assert (east["baseline"], east["growth_rate"], east["growth_rate_set"]) == (
            "1000.03", "0.5000", True)
        assert (east["actual"], east["standard"], east["deviation"], east["below_standard"]) \
            == ("1500.04", "1500.05", "-0.01", True)

    async def test_exactly_the_standard_is_not_below(self, books):
        await books.sale("1000.03", shanghai(2024, 2, 10, 9, 0))
        await books.sale("1500.05", shanghai(2025, 2, 10, 9, 0))
        await books.target("0.5", 2025)
        east = row(await books.report("2025-02"))
        assert (east["deviation"], east["below_standard"]) == ("0.00", False)

    async def test_january_against_last_january_not_december(self, books):
        await books.sale("300.00", shanghai(2025, 1, 15, 10, 0))
        await books.sale("999.00", shanghai(2025, 12, 31, 23, 30))   # December 2025
        await books.sale("250.00", shanghai(2026, 1, 1, 0, 10))      # January 2026
        january = row(await books.report("2026-01"))
        assert (january["actual"], january["baseline"], january["standard"],
                january["deviation"]) == ("250.00", "300.00", "300.00", "-50.00")
        assert (january["growth_rate"], january["growth_rate_set"]) == ("0.0000", False)
        december = row(await books.report("2025-12"))
        assert (december["actual"], december["baseline"]) == ("999.00", "0.00")

    async def test_a_year_is_its_twelve_months_on_the_company_calendar(self, books):
        await books.sale("100.00", shanghai(2024, 1, 1, 0, 0))
        await books.sale("200.00", shanghai(2024, 12, 31, 23, 59))
        await books.sale("1.00", shanghai(2025, 1, 1, 0, 0))        # 2025, not 2024
        await books.sale("500.00", shanghai(2025, 12, 31, 23, 59))
        await books.sale("9.00", shanghai(2026, 1, 1, 0, 0))        # 2026, not 2025
        await books.target("-0.1000", 2025)
        year = await books.report("2025")
        assert (year["period_start"], year["period_end"]) == ("2025-01-01", "2025-12-31")
        east = row(year)
        assert (east["actual"], east["baseline"], east["standard"], east["deviation"],
                east["below_standard"]) == ("501.00", "300.00", "270.00", "231.00", False)

    async def test_cancelled_orders_are_not_sales_and_totals_add_up(self, books):
        from app.orders.models import OrderStatus

        await books.sale("100.00", shanghai(2024, 6, 1, 9, 0))
        await books.sale("80.00", shanghai(2025, 6, 1, 9, 0))
        await books.sale("500.00", shanghai(2025, 6, 2, 9, 0), status=OrderStatus.cancelled)
        await books.sale("40.00", shanghai(2024, 6, 3, 9, 0), department="west")
        await books.sale("70.00", shanghai(2025, 6, 3, 9, 0), department="west")
        await books.target("0.2", 2025, department="west")
        report = await books.report("2025-06")
        assert [d["department_id"] for d in report["departments"]] == ["east", "west"]
        assert (row(report)["actual"], row(report)["deviation"]) == ("80.00", "-20.00")
        assert (row(report, "west")["standard"], row(report, "west")["deviation"]) == (
            "48.00", "22.00")
        assert report["total"] == {"actual": "150.00", "baseline": "140.00",
                                   "standard": "148.00", "deviation": "2.00",
                                   "below_standard": False}


class TestScopeAndInput:
    async def test_each_caller_sees_the_departments_they_answer_for(self, books, headers_for):
        await books.sale("10.00", shanghai(2025, 6, 1, 9, 0))
        departments = lambda report: [d["department_id"] for d in report["departments"]]  # noqa: E731
        assert departments(await books.report("2025-06", books.company.head)) == ["east"]
        assert departments(await books.report("2025-06", books.west_head)) == ["west"]
        assert departments(await books.report("2025-06", books.company.vp)) == ["east"]
        assert departments(await books.report("2025-06", books.company.finance)) == [
            "east", "west"]
        assert departments(await books.report("2025-06", books.company.rep)) == []
        assert departments(await books.report("2025-06", books.west_head,
                                              department_id="east")) == []

    async def test_the_period_is_a_year_or_a_month(self, books):
        for period in ("2025-13", "2025-00", "25", "2025-1", "2025-02-01"):
            refused(await books.client.get(REPORT, headers=books.company.gm,
                                           params={"period": period}), 422, "validation_error")
        refused(await books.client.get(REPORT, headers=books.company.gm), 422,
                "validation_error")


class TestGrowthTargets:
    async def test_set_by_the_gm_or_the_overseeing_deputy(self, books, client, headers_for):
        company = books.company
        first = await books.target("0.1", 2026)
        assert (first["growth_rate"], first["version"], first["set_by"]) == ("0.1000", 1,
                                                                          "gm.zhou")
        again = await client.post(TARGETS, headers=company.vp, json={
            "department_id": "east", "year": 2026, "growth_rate": "0.125"})
        assert again.status_code == 200, again.text
        assert (again.json()["growth_rate"], again.json()["version"]) == ("0.1250", 2)
        refused(await client.post(TARGETS, headers=company.vp, json={
            "department_id": "west", "year": 2026, "growth_rate": "0.1"}), 404,
            "deviation.unknown_department")
        for headers in (company.head, company.finance, company.rep):
            refused(await client.post(TARGETS, headers=headers, json={
                "department_id": "east", "year": 2026, "growth_rate": "0.1"}), 403,
                "forbidden")
        refused(await client.post(TARGETS, headers=company.gm, json={
            "department_id": "east", "year": 2026, "growth_rate": "-1.5"}), 422,
            "validation_error")
        listed = (await client.get(TARGETS, headers=company.head,
                                   params={"year": 2026})).json()["items"]
        assert [(t["department_id"], t["growth_rate"]) for t in listed] == [("east", "0.1250")]
        assert (await client.get(TARGETS, headers=books.west_head)).json()["items"] == []
