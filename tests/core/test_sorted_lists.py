"""Every sort of every list, found in the OpenAPI document (each list operation with a `sort`
parameter, its fields in the parameter's pattern), pages through all its rows exactly once,
in the order the sort names: the cursor resumes after the last row under that sort, ties
(equal amounts, equal dates) in id order and NULLs last ascending, first descending; and so
does a sort by two of its fields in opposite directions. A list added later with `Sorts` is
held to it without a test of its own, as soon as `stocked` gives it rows."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

import pytest

from app.budgets.models import Expense, ExpenseCategory, ExpenseOverride
from app.calendar.working_time import local_date
from app.core.db import utcnow
from app.customers.models import Customer
from app.deliveries.models import Delivery
from app.departments.models import Department
from app.deviations.models import DeviationAnalysis
from app.main import create_app
from tests.company import Company
from tests.conftest import make_settings
from tests.factories.budgets import budget_body
from tests.factories.confirmed_orders import create_confirmed_order
from tests.factories.customers import create_customer
from tests.factories.ledger import create_payment, create_receivable
from tests.factories.plans import Planner, target
from tests.factories.products import create_product
from tests.factories.quotes import quote_body, quote_line

DOCUMENT = create_app(make_settings()).openapi()
PAGE = 2  # small pages: several cursors per list


def sort_fields() -> dict[str, list[str]]:
    """Each sorted list's fields, as its `sort` parameter's pattern names them."""
    found = {}
    for path, item in DOCUMENT["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["name"] == "sort":
                pattern = parameter["schema"]["pattern"]
                choice = re.fullmatch(r"\^-\?\(([a-z_|]+)\)\(,-\?\(\1\)\)\*\$", pattern)
                assert choice, pattern
                found[path] = choice[1].split("|")
    return found


SORT_FIELDS = sort_fields()
SORTED_LISTS = [(path, sort) for path, fields in SORT_FIELDS.items()
                for field in fields for sort in (field, f"-{field}")]


def _two_fields(fields: list[str]) -> list[str]:
    """Sorts by two of a list's fields in opposite directions: its second field descending
    then its first (`created_at` mostly) ascending, and its last ascending then its first
    descending. The stocked rows tie on those (equal amounts, equal dates, NULLs), so the
    second field decides within the ties, across pages."""
    first = fields[0]
    others = [f for f in fields[1:] if f not in UNTIED] or fields[1:]
    return sorted({f"-{others[0]},{first}", f"{others[-1]},-{first}"})


# Fields whose stocked values are all different: sorting by them first leaves no ties.
UNTIED = {"updated_at", "number", "title", "name", "company", "sku"}


MIXED_SORTS = [(path, sort) for path, fields in SORT_FIELDS.items() if len(fields) > 1
               for sort in _two_fields(fields)]


def test_every_document_list_is_sortable() -> None:
    paths = {path for path, _sort in SORTED_LISTS}
    assert {f"/api/v1/{name}" for name in (
        "leads", "opportunities", "quotes", "contracts", "customers", "orders", "deliveries",
        "receivables", "payments", "approvals", "products", "departments", "sales-plans",
        "sales-targets", "expense-budgets", "expense-budgets/{budget_id}/expenses",
        "expense-budgets/{budget_id}/overrides", "growth-targets",
        "deviation-analyses", "complaints", "visits")} <= paths


@dataclass
class Stocked(Company):
    """The company, and the ids the lists under a document need in their paths."""

    budget_id: int = 0


def _url(path: str, stocked: Stocked) -> str:
    """A list's path with the stocked document's ids in it (`{budget_id}`)."""
    return path.format(**vars(stocked))


@pytest.fixture
async def stocked(client, session, company, submitted, draft) -> Stocked:
    """Rows in every sorted list, with ties and NULLs in the sort keys, all of department east
    (the GM reads them all)."""
    customer = await session.get(Customer, company.customer_id)
    east = await session.get(Department, "east")
    others = [await create_customer(session, owner_id="rep.zhang", department=east,
                                    name=name, credit_limit=limit)
              for name, limit in (("Beta 泵业", "5000.00"), ("阿尔法机电", "5000.00"),
                                  ("beta 阀门", "0.00"))]
    assert others
    await create_product(session, sku="SORT-2", list_price="1000.00", floor_price="800.00")
    for n, company_name in enumerate(("宁波港城机械", "宁波港城机械", "Acme 泵业", "杭州重工")):
        response = await client.post("/api/v1/leads", headers=company.rep, json={
            "source": "exhibition", "company": company_name, "contact_name": "王经理",
            "phone": f"1381234567{n}"})
        assert response.status_code == 201, response.text
    for amount, close in (("5000.00", "2027-01-31"), ("5000.00", "2027-01-31"),
                          ("120000.00", "2027-03-01"), ("800.00", "2026-12-31")):
        response = await client.post("/api/v1/opportunities", headers=company.rep, json={
            "customer_id": company.customer_id, "title": "水泵项目", "grade": "high",
            "expected_amount": amount, "expected_close_date": close})
        assert response.status_code == 201, response.text
    for quantity in ("1", "1", "3"):
        response = await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id, quantity=quantity)],
            valid_until="2027-06-30"))
        assert response.status_code == 201, response.text
    for total in ("1000.00", "1000.00", "2500.00"):
        await draft(total)
    await submitted("100000.01")
    await submitted("100000.00")
    for requested in (None, None, date(2027, 2, 1), date(2027, 2, 1)):
        order = await create_confirmed_order(session, customer=customer,
                                             requested_date=requested)
    for n, planned in enumerate((None, date(2027, 2, 3), date(2027, 2, 3), None)):
        session.add(Delivery(number=f"FH-2026-90000{n}", order_id=order.id,
                             customer_id=customer.id, department_id=customer.department_id,
                             owner_id=customer.owner_id, created_by="rep.zhang",
                             planned_date=planned))
    await session.commit()
    receivables = [await create_receivable(session, customer=customer, due_date=due,
                                           amount=amount)
                   for due, amount in ((date(2027, 1, 10), "300.00"),
                                       (date(2027, 1, 10), "300.00"),
                                       (date(2026, 12, 20), "1500.00"))]
    for received, part in ((date(2026, 12, 1), "100.00"), (date(2026, 12, 1), "100.00"),
                           (date(2026, 11, 30), "50.00")):
        await create_payment(session, customer=customer, received_on=received,
                             allocations=[(receivables[0], part)])
    for severity in ("high", "low", "high"):
        response = await client.post("/api/v1/complaints", headers=company.rep, json={
            "customer_id": company.customer_id, "channel": "phone", "category": "quality",
            "severity": severity, "title": "阀门漏水", "description": "三只阀门漏水"})
        assert response.status_code == 201, response.text
    # Visits to come, two at the same time (a tie in planned_at).
    soon = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    for planned in (soon, soon, soon + timedelta(days=1)):
        response = await client.post("/api/v1/visits", headers=company.rep, json={
            "customer_id": company.customer_id, "purpose": "介绍新款离心泵",
            "planned_at": planned.isoformat(), "place": "宁波市北仑区"})
        assert response.status_code == 201, response.text
    budget_id = await _stock_planning(client, session, company)
    return Stocked(**vars(company), budget_id=budget_id)


async def _stock_planning(client, session, company: Company) -> int:
    """Plans with their rep's targets, budgets with one's expenses and overrides, growth
    targets and deviation analyses; returns the budget whose expenses are listed."""
    planner = Planner(client, company)
    for period, amount in (("2026", "1000000.00"), ("2027", "1000000.00"),
                           ("2026-03", "50000.00")):
        plan = await planner.create(period, amount)
        response = await planner.allocate(plan["id"], target("rep.zhang", amount))
        assert response.status_code == 200, response.text
    budgets = []
    for year in (2026, 2027, 2028):
        response = await client.post("/api/v1/expense-budgets", headers=company.head,
                                     json=budget_body(year=year))
        assert response.status_code == 201, response.text
        budgets.append(response.json())
    [office] = [i for i in budgets[0]["items"] if i["category"] == "office"]
    for spent_on, amount in ((date(2026, 3, 5), "200.00"), (date(2026, 3, 5), "200.00"),
                             (date(2026, 2, 1), "35.50")):
        session.add(Expense(budget_id=budgets[0]["id"], item_id=office["id"],
                            department_id="east", category=ExpenseCategory.office,
                            spent_on=spent_on, amount=Decimal(amount), description="打印纸",
                            spent_by="rep.zhang", recorded_by="head.wang"))
    for amount in ("12000.00", "12000.00", "800.00"):
        session.add(ExpenseOverride(
            budget_id=budgets[0]["id"], item_id=office["id"], department_id="east",
            category=ExpenseCategory.office, spent_on=date(2026, 6, 30),
            amount=Decimal(amount), description="展会临时租赁", spent_by="rep.zhang",
            justification="客户临时加开展会", remainder_at_request=Decimal("10000.00"),
            requested_by="head.wang"))
    for year, rate in ((2025, "0.1000"), (2026, "0.1000"), (2027, "-0.0500")):
        response = await client.post("/api/v1/growth-targets", headers=company.gm, json={
            "department_id": "east", "year": year, "growth_rate": rate})
        assert response.status_code == 201, response.text
    for n, (month, actual) in enumerate(((None, "900000.00"), (3, "900000.00"),
                                         (4, "40000.00"))):
        baseline, rate = Decimal("1000000.00"), Decimal("0.1000")
        standard = baseline * (1 + rate)
        session.add(DeviationAnalysis(
            number=f"PC-2026-90000{n}", department_id="east", year=2026, month=month,
            actual=Decimal(actual), baseline=baseline, growth_rate=rate, standard=standard,
            deviation=Decimal(actual) - standard, causes="大客户推迟采购",
            created_by="head.wang"))
    await session.commit()
    return int(budgets[0]["id"])


def _comparable(field: str, value: Any) -> Any:
    """A sort key as JSON gives it, as it compares: times parsed, amounts as decimals.
    Text keys compare in the database's collation, which Python does not share: None."""
    if value is None or isinstance(value, int):
        return value
    if field.endswith("_at"):
        return datetime.fromisoformat(value)
    if field.endswith(("_date", "_on", "valid_until")):
        return date.fromisoformat(value)
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


def _compare(a: Any, b: Any, descending: bool) -> int:
    """One key of two rows in the sort's direction, NULL as larger than every value."""
    if a == b:
        return 0
    larger = a is None or (b is not None and a > b)
    return (-1 if larger else 1) if descending else (1 if larger else -1)


def _in_order(items: list[dict], sort: str) -> bool:
    """Whether `items` are in the order of `sort`: each field in its direction, NULLs last
    ascending and first descending, then the id in the last field's direction."""
    fields = [(part.removeprefix("-"), part.startswith("-")) for part in sort.split(",")]
    if any(_comparable(field, item[field]) is None and item[field] is not None
           for field, _descending in fields for item in items):
        return True  # a text key: the unpaged list is the reference
    fields.append(("id", fields[-1][1]))

    def compare(a: dict, b: dict) -> int:
        for field, descending in fields:
            if order := _compare(_comparable(field, a[field]), _comparable(field, b[field]),
                                 descending):
                return order
        return 0

    return items == sorted(items, key=cmp_to_key(compare))


@pytest.mark.parametrize(("path", "sort"), SORTED_LISTS + MIXED_SORTS,
                         ids=[f"{p.rsplit('/', 1)[-1]}:{s}" for p, s in SORTED_LISTS + MIXED_SORTS])
async def test_every_sort_pages_through_every_row_once_in_order(client, stocked, path, sort):
    reader = stocked.gm
    path = _url(path, stocked)
    whole = await client.get(path, headers=reader, params={"sort": sort, "limit": 200,
                                                           "include_total": "true"})
    assert whole.status_code == 200, whole.text
    everything = whole.json()
    assert everything["total"] == len(everything["items"]) >= 2, path
    assert everything["next_cursor"] is None
    seen: list[dict] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(path, headers=reader, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= PAGE
        assert body["total"] is None
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [i["id"] for i in seen] == [i["id"] for i in everything["items"]]
    assert len({i["id"] for i in seen}) == len(seen)
    assert _in_order(seen, sort), [
        [i[part.removeprefix("-")] for part in sort.split(",")] + [i["id"]] for i in seen]


def test_every_list_with_two_fields_is_walked_in_mixed_directions() -> None:
    assert {path for path, _sort in MIXED_SORTS} == {
        path for path, fields in SORT_FIELDS.items() if len(fields) > 1}
    assert len(MIXED_SORTS) >= 20


AMOUNT_FIELDS = {"opportunities": "expected_amount", "quotes": "total", "contracts": "total",
                 "orders": "total", "receivables": "amount", "payments": "amount",
                 "sales-plans": "target_amount", "sales-targets": "amount",
                 "expense-budgets": "total", "expenses": "amount"}


def _lists_taking(*names: str) -> list[str]:
    """The sorted lists that take every one of `names`."""
    return sorted(path for path, item in DOCUMENT["paths"].items()
                  if {p["name"] for p in item.get("get", {}).get("parameters", [])}
                  >= {"sort", *names})


def test_the_screen_filters_are_where_the_issue_wants_them() -> None:
    assert {p.rsplit("/", 1)[-1] for p in _lists_taking("amount_from", "amount_to")} \
        == set(AMOUNT_FIELDS)
    assert {p.rsplit("/", 1)[-1] for p in _lists_taking("owner_id", "department_id")} >= {
        "leads", "opportunities", "quotes", "contracts", "customers", "orders", "deliveries",
        "receivables", "payments", "complaints", "visits"}
    assert {p.rsplit("/", 1)[-1] for p in _lists_taking("q")} >= {
        "leads", "opportunities", "quotes", "contracts", "customers", "complaints", "visits"}


async def _ids(client, headers, path, **params) -> list[int]:
    response = await client.get(path, headers=headers, params={"limit": 200} | params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("path", _lists_taking("amount_from", "amount_to"))
async def test_amount_ranges_are_inclusive(client, stocked, path):
    field = AMOUNT_FIELDS[path.rsplit("/", 1)[-1]]
    path = _url(path, stocked)
    items = (await client.get(path, headers=stocked.gm, params={"limit": 200})).json()["items"]
    amounts = sorted({Decimal(i[field]) for i in items})
    middle = amounts[len(amounts) // 2]
    assert await _ids(client, stocked.gm, path, amount_from=str(middle)) == [
        i["id"] for i in items if Decimal(i[field]) >= middle]
    assert await _ids(client, stocked.gm, path, amount_to=str(middle)) == [
        i["id"] for i in items if Decimal(i[field]) <= middle]
    assert await _ids(client, stocked.gm, path, amount_from=str(middle),
                      amount_to=str(middle)) == [
        i["id"] for i in items if Decimal(i[field]) == middle]
    assert await _ids(client, stocked.gm, path, amount_from=str(middle + Decimal("0.01")),
                      amount_to=str(middle - Decimal("0.01"))) == []


@pytest.mark.parametrize("path", _lists_taking("owner_id", "department_id"))
async def test_owner_and_department_filters(client, stocked, path):
    path = _url(path, stocked)
    every = await _ids(client, stocked.gm, path)
    assert every
    assert await _ids(client, stocked.gm, path, owner_id="rep.zhang") == every
    assert await _ids(client, stocked.gm, path, owner_id="rep.nobody") == []
    assert await _ids(client, stocked.gm, path, department_id="east") == every
    assert await _ids(client, stocked.gm, path, department_id="west") == []


@pytest.mark.parametrize("path", _lists_taking("created_from", "created_to"))
async def test_created_days_are_the_company_s_calendar_days(client, stocked, path):
    path = _url(path, stocked)
    every = await _ids(client, stocked.gm, path)
    today = local_date(utcnow())
    assert every
    assert await _ids(client, stocked.gm, path, created_from=str(today),
                      created_to=str(today)) == every
    assert await _ids(client, stocked.gm, path,
                      created_from=str(today + timedelta(days=1))) == []
    assert await _ids(client, stocked.gm, path,
                      created_to=str(today - timedelta(days=1))) == []
