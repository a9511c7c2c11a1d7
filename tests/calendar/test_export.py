"""The company calendar's holidays and make-up days as a file: the range asked, kinds as
labels, days as Excel dates."""

from datetime import date

from tests.export.test_customer_export import read_csv, read_xlsx

ZH = {"Accept-Language": "zh-CN"}


async def test_the_calendar_as_csv_and_xlsx(client, headers_for):
    admin = headers_for("admin", sub="admin.cal")
    days = [{"day": "2026-10-01", "kind": "holiday", "name": "国庆节"},
            {"day": "2026-10-10", "kind": "workday", "name": "国庆节调休"},
            {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}]
    response = await client.post("/api/v1/calendar/import", headers=admin,
                                 json={"days": days})
    assert response.status_code in (200, 201), response.text
    rep = headers_for("gm", sub="gm.cal")
    response = await client.get("/api/v1/calendar", headers=rep | ZH, params={
        "from": "2026-10-01", "to": "2026-12-31", "format": "csv"})
    assert response.status_code == 200, response.text
    header, *rows = read_csv(response)
    assert header[:3] == ["日期", "类型", "名称"]
    assert [row[:3] for row in rows] == [["2026-10-01", "节假日", "国庆节"],
                                         ["2026-10-10", "调休上班", "国庆节调休"]]
    assert "filename*=UTF-8''%E5%B7%A5%E4%BD%9C%E6%97%A5%E5%8E%86-" in (
        response.headers["content-disposition"])

    response = await client.get("/api/v1/calendar", headers=rep, params={
        "from": "2026-01-01", "to": "2027-12-31", "format": "xlsx"})
    assert response.status_code == 200, response.text
    header, *rows = read_xlsx(response)
    assert header[:2] == ["Day", "Kind"]
    assert [row[0].date() if hasattr(row[0], "date") else row[0] for row in rows] == [
        date(2026, 10, 1), date(2026, 10, 10), date(2027, 1, 1)]
    assert rows[1][1] == "Make-up working day"
