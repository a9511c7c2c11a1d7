"""Customer contacts normalised like lead contacts, and likely duplicate customers warned of
on create (same company name without its legal form, same contact phone or e-mail), never
refused; found again later through GET /customers/{id}/duplicates."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.customers.duplicates import DUPLICATE_LIMIT
from app.customers.models import Customer, CustomerKey
from app.departments.models import Department
from app.events.models import Event
from tests.conftest import IS_POSTGRES
from tests.factories.customers import create_customer, valid_credit_code
from tests.factories.departments import create_department

CUSTOMERS = "/api/v1/customers"
DUPLICATE_FIELDS = {"id", "matched_on", "owner_id", "department_id", "created_at"}


@pytest.fixture
async def east_and_south(session):
    return (await create_department(session, id="east"),
            await create_department(session, id="south"))


@pytest.fixture
def rep_a(headers_for):
    return headers_for("sales_rep", sub="rep.a", dept="east")


@pytest.fixture
def rep_c(headers_for):
    return headers_for("sales_rep", sub="rep.c", dept="south")


async def _create(client, headers, **body):
    response = await client.post(CUSTOMERS, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


class TestContacts:
    async def test_phones_and_emails_are_stored_normalised(self, client, east_and_south,
                                                           rep_a):
        created = await _create(client, rep_a, name="杭州恒远化工有限公司", contacts=[
            {"name": "王经理", "phone": "0571-8888 6666 转 801", "email": " Wang.Li@HengYuan.CN "},
            {"name": "李工", "phone": "１３８ １２３４ ５６７８"},
            {"name": "前台"}])
        expected = [
            {"name": "王经理", "title": None, "phone": "+8657188886666", "phone_extension": "801",
             "email": "wang.li@hengyuan.cn"},
            {"name": "李工", "title": None, "phone": "+8613812345678", "phone_extension": None,
             "email": None},
            {"name": "前台", "title": None, "phone": None, "phone_extension": None,
             "email": None}]
        assert created["contacts"] == expected
        read = await client.get(f"{CUSTOMERS}/{created['id']}", headers=rep_a)
        assert read.json()["contacts"] == expected

    @pytest.mark.parametrize(("phone", "reason"), [
        ("5555 0000", "no area code"),
        ("12812345678", "neither a Chinese mobile"),
        ("call me", "digits, spaces"),
    ])
    async def test_an_invalid_phone_is_refused_naming_the_field(
            self, client, session, east_and_south, rep_a, phone, reason):
        response = await client.post(CUSTOMERS, headers=rep_a, json={
            "name": "X", "contacts": [{"name": "A", "phone": "138 1234 5678"},
                                      {"name": "B", "phone": phone}]})
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert [e["loc"] for e in problem["errors"]] == [["body", "contacts", 1, "phone"]]
        assert reason in problem["errors"][0]["msg"]
        assert "contacts.1.phone" in problem["detail"]
        assert await _count(session, Customer) == 0

    async def test_an_invalid_phone_on_edit_changes_nothing(self, client, east_and_south,
                                                            rep_a):
        created = await _create(client, rep_a, name="X",
                                contacts=[{"name": "A", "phone": "138 1234 5678"}])
        url = f"{CUSTOMERS}/{created['id']}"
        response = await client.patch(url, headers=rep_a, json={
            "contacts": [{"name": "A", "phone": "138 1234 567"}]})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "contacts", 0, "phone"]
        after = (await client.get(url, headers=rep_a)).json()
        assert (after["version"], after["contacts"][0]["phone"]) == (1, "+8613812345678")

    async def test_the_same_contacts_in_another_spelling_are_no_change(
            self, client, east_and_south, rep_a):
        created = await _create(client, rep_a, name="X", contacts=[
            {"name": "A", "phone": "021-5555 0000 ext 12", "email": "a@x.cn"}])
        response = await client.patch(f"{CUSTOMERS}/{created['id']}", headers=rep_a, json={
            "contacts": [{"name": "A", "phone": "+86 21 5555 0000 转 12", "email": "A@X.CN"}]})
        assert response.status_code == 200 and response.json()["version"] == 1


class TestDuplicatesOnCreate:
    async def test_same_name_without_its_legal_form_is_warned_not_refused(
            self, client, session, east_and_south, rep_a):
        _, south = east_and_south
        other = await create_customer(session, department=south, owner_id="rep.c",
                                      name="杭州恒远化工有限公司")
        response = await client.post(CUSTOMERS, headers=rep_a, json={"name": "杭州恒远化工"})
        assert response.status_code == 201
        [duplicate] = response.json()["duplicates"]
        # Another department's customer, invisible to the rep: only who to ask, never what.
        assert set(duplicate) == DUPLICATE_FIELDS
        assert (duplicate["id"], duplicate["matched_on"], duplicate["owner_id"],
                duplicate["department_id"]) == (other.id, ["name"], "rep.c", "south")
        assert (await client.get(f"{CUSTOMERS}/{other.id}", headers=rep_a)).status_code == 404
        assert await _count(session, Customer) == 2

    async def test_same_phone_in_another_form(self, client, east_and_south, rep_a, rep_c):
        first = await _create(client, rep_c, name="南方环保",
                              contacts=[{"name": "A", "phone": "0571-88886666"}])
        created = await _create(client, rep_a, name="Hengyuan Trading", contacts=[
            {"name": "B", "phone": "+86 (0)571 8888 6666 转 9"}])
        assert [(d["id"], d["matched_on"]) for d in created["duplicates"]] == [
            (first["id"], ["phone"])]

    async def test_same_email_in_another_case(self, client, east_and_south, rep_a, rep_c):
        first = await _create(client, rep_c, name="南方环保",
                              contacts=[{"name": "A", "email": "Buyer@NanFang.cn"}])
        created = await _create(client, rep_a, name="Another name", contacts=[
            {"name": "B", "email": "buyer@nanfang.CN"}])
        assert [(d["id"], d["matched_on"]) for d in created["duplicates"]] == [
            (first["id"], ["email"])]

    async def test_every_way_a_customer_matched_once(self, client, east_and_south, rep_a):
        first = await _create(client, rep_a, name="Acme Pumps Co., Ltd.", contacts=[
            {"name": "A", "phone": "138 1234 5678", "email": "a@acme.cn"},
            {"name": "B", "phone": "13812345678", "email": "b@acme.cn"}])
        created = await _create(client, rep_a, name="ACME PUMPS", contacts=[
            {"name": "X", "email": "B@acme.cn"}, {"name": "Y", "phone": "+8613812345678"},
            {"name": "Z", "email": "a@acme.cn"}])
        assert [(d["id"], d["matched_on"]) for d in created["duplicates"]] == [
            (first["id"], ["name", "phone", "email"])]

    async def test_different_company_and_contacts_are_no_duplicate(
            self, client, east_and_south, rep_a):
        await _create(client, rep_a, name="杭州恒远化工有限公司",
                      contacts=[{"name": "A", "phone": "138 1234 5678", "email": "a@hy.cn"}])
        created = await _create(client, rep_a, name="宁波恒远化工有限公司",
                                contacts=[{"name": "A", "phone": "138 1234 5679",
                                           "email": "b@hy.cn"}])
        assert created["duplicates"] == []

    async def test_newest_first_and_at_most_the_limit(self, client, session, east_and_south,
                                                      rep_a):
        east, _ = east_and_south
        olds = [await create_customer(session, department=east, name="Twin Ltd")
                for _ in range(DUPLICATE_LIMIT + 1)]
        created = await _create(client, rep_a, name="Twin")
        ids = [d["id"] for d in created["duplicates"]]
        assert ids == [c.id for c in reversed(olds)][:DUPLICATE_LIMIT]
        assert olds[0].id not in ids  # the oldest is the one past the limit

    async def test_the_event_names_the_duplicates(self, client, session, east_and_south,
                                                  rep_a):
        first = await _create(client, rep_a, name="杭州恒远化工")
        second = await _create(client, rep_a, name="杭州恒远化工有限公司")
        events = {e.subject: e for e in (await session.execute(select(Event).where(
            Event.type == "customer.created"))).scalars()}
        assert events[f"customer:{first['id']}"].data["duplicate_ids"] == []
        assert events[f"customer:{second['id']}"].data["duplicate_ids"] == [first["id"]]

    async def test_the_credit_code_stays_unique(self, client, session, east_and_south, rep_a):
        code = valid_credit_code(31)
        await _create(client, rep_a, name="恒远化工", credit_code=code)
        response = await client.post(CUSTOMERS, headers=rep_a,
                                     json={"name": "Another name", "credit_code": code})
        assert response.status_code == 409
        assert response.json()["code"] == "customer.duplicate_credit_code"
        assert await _count(session, Customer) == 1


class TestDuplicatesLater:
    async def test_lists_the_others_as_of_now_never_itself(self, client, east_and_south,
                                                           rep_a, rep_c):
        first = await _create(client, rep_c, name="恒远化工",
                              contacts=[{"name": "A", "phone": "138 1234 5678"}])
        second = await _create(client, rep_a, name="恒远化工有限公司")
        third = await _create(client, rep_a, name="Something else",
                              contacts=[{"name": "B", "phone": "13812345678"}])
        listed = (await client.get(f"{CUSTOMERS}/{second['id']}/duplicates",
                                   headers=rep_a)).json()["items"]
        assert [(d["id"], d["matched_on"]) for d in listed] == [(first["id"], ["name"])]
        assert all(set(d) == DUPLICATE_FIELDS for d in listed)
        listed = (await client.get(f"{CUSTOMERS}/{first['id']}/duplicates",
                                   headers=rep_c)).json()["items"]
        assert [(d["id"], d["matched_on"]) for d in listed] == [
            (third["id"], ["phone"]), (second["id"], ["name"])]

    async def test_edits_keep_the_keys_current(self, client, east_and_south, rep_a, rep_c):
        first = await _create(client, rep_c, name="恒远化工",
                              contacts=[{"name": "A", "phone": "138 1234 5678"}])
        second = await _create(client, rep_a, name="Other",
                               contacts=[{"name": "B", "phone": "13812345678"}])
        url = f"{CUSTOMERS}/{second['id']}"
        duplicates = f"{url}/duplicates"
        assert [d["matched_on"] for d in
                (await client.get(duplicates, headers=rep_a)).json()["items"]] == [["phone"]]
        # A new phone: the old one no longer matches. A new name: it matches by name.
        edited = await client.patch(url, headers=rep_a, json={
            "name": "恒远化工有限公司", "contacts": [{"name": "B", "phone": "139 0000 0000"}]})
        assert edited.status_code == 200
        listed = (await client.get(duplicates, headers=rep_a)).json()["items"]
        assert [(d["id"], d["matched_on"]) for d in listed] == [(first["id"], ["name"])]
        await client.patch(url, headers=rep_a, json={"name": "Other"})
        assert (await client.get(duplicates, headers=rep_a)).json()["items"] == []
        # And the other way round: the first customer now finds the edited one by phone.
        await client.patch(url, headers=rep_a, json={
            "contacts": [{"name": "B", "phone": "+86 138 1234 5678"}]})
        listed = (await client.get(f"{CUSTOMERS}/{first['id']}/duplicates",
                                   headers=rep_c)).json()["items"]
        assert [(d["id"], d["matched_on"]) for d in listed] == [(second["id"], ["phone"])]

    async def test_a_deleted_customer_takes_its_keys_along(self, client, session,
                                                           east_and_south, rep_a, admin):
        first = await _create(client, rep_a, name="A", contacts=[
            {"name": "A", "phone": "138 1234 5678", "email": "a@x.cn"}])
        second = await _create(client, rep_a, name="B", contacts=[
            {"name": "B", "phone": "138 1234 5678"}])
        assert await _count(session, CustomerKey) == 5  # names, phones, the e-mail
        assert (await client.delete(f"{CUSTOMERS}/{first['id']}",
                                    headers=admin)).status_code == 204
        assert await _count(session, CustomerKey) == 2
        listed = await client.get(f"{CUSTOMERS}/{second['id']}/duplicates", headers=rep_a)
        assert listed.json()["items"] == []

    async def test_someone_elses_customer_is_404(self, client, east_and_south, rep_a, rep_c):
        other = await _create(client, rep_c, name="X")
        response = await client.get(f"{CUSTOMERS}/{other['id']}/duplicates", headers=rep_a)
        assert response.status_code == 404 and response.json()["code"] == "customer.not_found"


class TestSearch:
    async def test_finds_by_credit_code_phone_or_email(self, client, east_and_south, rep_a):
        code = valid_credit_code(41)
        target = await _create(client, rep_a, name="杭州恒远化工", credit_code=code, contacts=[
            {"name": "A", "phone": "0571-8888 6666 转 8", "email": "Wang@HengYuan.cn"}])
        await _create(client, rep_a, name="宁波港城机械", contacts=[
            {"name": "B", "phone": "138 1234 5678", "email": "li@gangcheng.cn"}])
        for q in (code, code.lower(), f"{code[:8]} {code[8:]}", "+86 571 88886666",
                  "(0571) 8888-6666", "wang@hengyuan.cn", "恒远"):
            found = (await client.get(CUSTOMERS, headers=rep_a, params={"q": q})).json()
            assert [c["id"] for c in found["items"]] == [target["id"]], q
        for q in ("0571-8888 6667", "wang@hengyuan.com", code[:-1]):
            found = (await client.get(CUSTOMERS, headers=rep_a, params={"q": q})).json()
            assert found["items"] == [], q

    async def test_visibility_still_applies(self, client, east_and_south, rep_a, rep_c):
        await _create(client, rep_c, name="南方环保",
                      contacts=[{"name": "A", "phone": "138 1234 5678"}])
        found = (await client.get(CUSTOMERS, headers=rep_a,
                                  params={"q": "13812345678"})).json()
        assert found["items"] == []


class TestCreditCode:
    async def test_separators_and_case_are_tidied(self, client, east_and_south, rep_a):
        code = valid_credit_code(51)
        created = await _create(client, rep_a, name="X",
                                credit_code=f" {code[:8].lower()}-{code[8:].lower()} ")
        assert created["credit_code"] == code

    @pytest.mark.parametrize(("code", "reason"), [
        ("91440300MA5D0CCJ0", "18 characters; this one has 17"),
        ("914403000000000010", "check character"),
        # Letters GB 32100 leaves out, and a letter among the first 8 (digits only there),
        # whatever the check character.
        ("91440300MA5D0CCJ0I", "other than I, O, S, V and Z"),
        ("9144030A000000001X", "8 digits"),
    ])
    async def test_a_wrong_code_says_why(self, client, session, east_and_south, rep_a, code,
                                         reason):
        response = await client.post(CUSTOMERS, headers=rep_a,
                                     json={"name": "X", "credit_code": code})
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["loc"] == ["body", "credit_code"] and reason in error["msg"]
        assert await _count(session, Customer) == 0

    async def test_a_letter_among_the_first_eight_is_refused_even_with_its_check_character(
            self, client, east_and_south, rep_a):
        from stdnum.cn.uscc import calc_check_digit

        first17 = "9144030A000000001"
        # The check character alone would pass (the alphabet has the letter A): GB 32100
        # keeps the first eight for digits, and stdnum checks it.
        response = await client.post(CUSTOMERS, headers=rep_a, json={
            "name": "X", "credit_code": first17 + calc_check_digit(first17)})
        assert response.status_code == 422


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
async def test_one_company_registered_by_four_reps_at_once(committing_app, engine, headers_for):
    """Duplicates are warned of, never refused, even at the same moment: all four are
    created, and afterwards each one lists the other three."""
    import httpx

    from app.core.db import create_sessionmaker

    maker = create_sessionmaker(engine)
    async with maker() as session:
        session.add(Department(id="twins", name="Twins dept"))
        await session.commit()
    reps = [headers_for("sales_rep", sub=f"rep.twin{i}", dept="twins") for i in range(4)]
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = await asyncio.gather(*[
            client.post(CUSTOMERS, headers=h, json={
                "name": f"Twin Pumps {suffix}",
                "contacts": [{"name": "Li", "phone": "138 0000 1111"}]})
            for h, suffix in zip(reps, ["Co., Ltd.", "Ltd", "Limited", "Inc"], strict=True)])
        assert [r.status_code for r in responses] == [201] * 4
        ids = {r.json()["id"] for r in responses}
        for response, rep in zip(responses, reps, strict=True):
            listed = (await client.get(f"{CUSTOMERS}/{response.json()['id']}/duplicates",
                                       headers=rep)).json()["items"]
            assert {d["id"] for d in listed} == ids - {response.json()["id"]}
            assert {tuple(d["matched_on"]) for d in listed} == {("name", "phone")}
