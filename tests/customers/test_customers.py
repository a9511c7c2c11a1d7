"""Customer master: visibility per SPEC §1, exclusive ownership, credit terms by finance."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.customers.models import Customer
from app.departments.models import Department
from tests.conftest import IS_POSTGRES
from tests.factories.customers import create_customer, valid_credit_code
from tests.factories.departments import create_department


@pytest.fixture
async def world(session):
    """Two departments overseen by one deputy GM, a third by another; reps in each."""
    east = await create_department(session, id="east")
    south = await create_department(session, id="south")
    north = await create_department(session, id="north")
    return {
        "east_a": await create_customer(session, department=east, owner_id="rep.a"),
        "east_b": await create_customer(session, department=east, owner_id="rep.b"),
        "south_c": await create_customer(session, department=south, owner_id="rep.c"),
        "north_d": await create_customer(session, department=north, owner_id="rep.d"),
    }


VIEWERS = {
    "rep_a": ({"role": "sales_rep", "sub": "rep.a", "dept": "east"}, {"east_a"}),
    "head_east": ({"role": "dept_head", "sub": "head.e", "dept": "east"}, {"east_a", "east_b"}),
    "vp_east_south": ({"role": "deputy_gm", "sub": "vp.1", "depts": ["east", "south"]},
                      {"east_a", "east_b", "south_c"}),
    "vp_home_dept_only": ({"role": "deputy_gm", "sub": "vp.2", "dept": "north"}, {"north_d"}),
    "gm": ({"role": "gm", "sub": "gm"}, {"east_a", "east_b", "south_c", "north_d"}),
    "finance": ({"role": "finance", "sub": "fin"}, {"east_a", "east_b", "south_c", "north_d"}),
    "auditor": ({"role": "auditor", "sub": "aud"}, {"east_a", "east_b", "south_c", "north_d"}),
}


class TestVisibility:
    @pytest.mark.parametrize("viewer", VIEWERS)
    async def test_list_shows_exactly_what_the_role_may_see(self, client, world, headers_for,
                                                            viewer):
        claims, expected = VIEWERS[viewer]
        headers = headers_for(**claims)
        listed = (await client.get("/api/v1/customers", headers=headers)).json()
        assert {c["id"] for c in listed["items"]} == {world[k].id for k in expected}

    @pytest.mark.parametrize("viewer", VIEWERS)
    async def test_others_records_are_404(self, client, world, headers_for, viewer):
        claims, expected = VIEWERS[viewer]
        headers = headers_for(**claims)
        for key, customer in world.items():
            response = await client.get(f"/api/v1/customers/{customer.id}", headers=headers)
            assert response.status_code == (200 if key in expected else 404), (viewer, key)
            if key not in expected:
                assert response.json()["code"] == "customer.not_found"

    async def test_rep_cannot_edit_or_delete_anothers_customer(self, client, world, headers_for):
        rep_a = headers_for("sales_rep", sub="rep.a", dept="east")
        url = f"/api/v1/customers/{world['east_b'].id}"
        assert (await client.patch(url, headers=rep_a, json={"name": "Mine"})).status_code == 404
        # Reps delete no customer at all: the refusal is the same whether it exists or not.
        assert (await client.delete(url, headers=rep_a)).status_code == 403

    async def test_roles_without_sales_scope_see_nothing(self, client, world, headers_for):
        listed = (await client.get("/api/v1/customers",
                                   headers=headers_for(roles=[], sub="nobody"))).json()
        assert listed["items"] == []


class TestCreate:
    async def test_rep_owns_what_they_create_in_their_department(self, client, session,
                                                                 headers_for):
        await create_department(session, id="east")
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        body = (await client.post("/api/v1/customers", headers=rep, json={
            "name": "杭州恒远化工有限公司", "credit_code": valid_credit_code(1),
            "contacts": [{"name": "王经理", "phone": "+86 571 8800 0000",
                          "email": "wang@hengyuan.cn"}],
            "address": "杭州市滨江区", "is_key_customer": True})).json()
        assert (body["owner_id"], body["department_id"]) == ("rep.a", "east")
        assert (body["credit_rating"], body["credit_limit"], body["payment_terms_days"]) == (
            "C", "0.00", 0)

    async def test_rep_may_not_set_credit_terms(self, client, session, headers_for):
        await create_department(session, id="east")
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        for field, value in [("credit_limit", "50000.00"), ("credit_rating", "A"),
                             ("payment_terms_days", 30)]:
            response = await client.post("/api/v1/customers", headers=rep,
                                         json={"name": "X", field: value})
            assert response.status_code == 403
            assert response.json()["code"] == "customer.credit_terms_forbidden"
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0

    async def test_rep_may_not_create_for_someone_else(self, client, session, headers_for):
        await create_department(session, id="east")
        await create_department(session, id="south")
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        for body in ({"name": "X", "owner_id": "rep.b"}, {"name": "X", "department_id": "south"}):
            response = await client.post("/api/v1/customers", headers=rep, json=body)
            assert response.status_code == 403
            assert response.json()["code"] == "customer.ownership_forbidden"

    async def test_head_assigns_within_department_only(self, client, session, headers_for):
        await create_department(session, id="east")
        await create_department(session, id="south")
        head = headers_for("dept_head", sub="head.e", dept="east")
        ok = await client.post("/api/v1/customers", headers=head,
                               json={"name": "X", "owner_id": "rep.b"})
        assert ok.status_code == 201 and ok.json()["owner_id"] == "rep.b"
        refused = await client.post("/api/v1/customers", headers=head,
                                    json={"name": "Y", "owner_id": "rep.c", "department_id": "south"})
        assert refused.status_code == 403

    async def test_finance_and_gm_set_credit_terms(self, client, session, headers_for):
        await create_department(session, id="east")
        gm = headers_for("gm", sub="gm")
        response = await client.post("/api/v1/customers", headers=gm, json={
            "name": "Key account", "owner_id": "rep.a", "department_id": "east",
            "credit_rating": "A", "credit_limit": "1000000.00", "payment_terms_days": 60})
        assert response.status_code == 201
        assert response.json()["credit_limit"] == "1000000.00"

    async def test_the_integration_account_does_not_create_customers(self, client, session,
                                                                     headers_for, admin):
        await create_department(session, id="east")
        erp = headers_for("integration", sub="erp.kingdee")
        response = await client.post("/api/v1/customers", headers=erp, json={
            "name": "X", "owner_id": "rep.a", "department_id": "east"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        listed = (await client.get("/api/v1/customers", headers=admin)).json()["items"]
        assert listed == []

    async def test_company_roles_must_name_owner_and_department(self, client, session, admin):
        await create_department(session, id="east")
        response = await client.post("/api/v1/customers", headers=admin, json={"name": "X"})
        assert response.status_code == 422 and response.json()["code"] == "customer.owner_required"

    async def test_unknown_or_inactive_department(self, client, session, admin):
        await create_department(session, id="closed")
        await client.patch("/api/v1/departments/closed", headers=admin, json={"active": False})
        for department in ("nowhere", "closed"):
            response = await client.post("/api/v1/customers", headers=admin, json={
                "name": "X", "owner_id": "rep.a", "department_id": department})
            assert response.status_code == 422
            assert response.json()["code"] == "customer.unknown_department"

    async def test_credit_code_is_unique(self, client, session, headers_for):
        department = await create_department(session, id="east")
        code = valid_credit_code(7)
        await create_customer(session, department=department, owner_id="rep.b", credit_code=code)
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        response = await client.post("/api/v1/customers", headers=rep,
                                     json={"name": "Same company", "credit_code": code.lower()})
        assert response.status_code == 409
        assert response.json()["code"] == "customer.duplicate_credit_code"

    @pytest.mark.parametrize("code", ["91440300MA5D0CCJ0", "91440300MA5D0CCJ0II",
                                      "914403000000000010"])
    async def test_credit_code_must_be_well_formed(self, client, session, headers_for, code):
        await create_department(session, id="east")
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        response = await client.post("/api/v1/customers", headers=rep,
                                     json={"name": "X", "credit_code": code})
        assert response.status_code == 422


class TestUpdate:
    async def test_rep_edits_own_customer(self, client, world, headers_for):
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        response = await client.patch(f"/api/v1/customers/{world['east_a'].id}", headers=rep,
                                      json={"address": "宁波市", "contacts": [{"name": "李"}]})
        assert response.status_code == 200 and response.json()["address"] == "宁波市"

    async def test_rep_cannot_raise_credit_limit(self, client, world, headers_for):
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        url = f"/api/v1/customers/{world['east_a'].id}"
        response = await client.patch(url, headers=rep, json={"credit_limit": "999999.00"})
        assert response.status_code == 403
        assert (await client.get(url, headers=rep)).json()["credit_limit"] == "0.00"

    async def test_finance_edits_credit_terms_only(self, client, world, headers_for):
        finance = headers_for("finance", sub="fin")
        url = f"/api/v1/customers/{world['east_a'].id}"
        for body in ({"name": "改名"}, {"address": "宁波市"}, {"credit_limit": "1.00",
                                                            "is_key_customer": True}):
            response = await client.patch(url, headers=finance, json=body)
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
        after = (await client.get(url, headers=finance)).json()
        assert (after["version"], after["credit_limit"]) == (1, "0.00")

    async def test_finance_sets_credit_limit(self, client, world, headers_for):
        finance = headers_for("finance", sub="fin")
        response = await client.patch(f"/api/v1/customers/{world['east_a'].id}", headers=finance,
                                      json={"credit_limit": "300000.00", "credit_rating": "B"})
        assert response.status_code == 200
        assert (response.json()["credit_limit"], response.json()["credit_rating"]) == (
            "300000.00", "B")

    async def test_rep_cannot_hand_a_customer_over(self, client, world, headers_for):
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        response = await client.patch(f"/api/v1/customers/{world['east_a'].id}", headers=rep,
                                      json={"owner_id": "rep.b"})
        assert response.status_code == 403
        assert response.json()["code"] == "customer.ownership_forbidden"

    async def test_head_reassigns_within_department(self, client, world, headers_for):
        head = headers_for("dept_head", sub="head.e", dept="east")
        url = f"/api/v1/customers/{world['east_a'].id}"
        ok = await client.patch(url, headers=head, json={"owner_id": "rep.b"})
        assert ok.status_code == 200 and ok.json()["owner_id"] == "rep.b"
        moved = await client.patch(url, headers=head, json={"department_id": "south"})
        assert moved.status_code == 403

    async def test_deputy_gm_moves_between_overseen_departments(self, client, world, headers_for):
        vp = headers_for("deputy_gm", sub="vp.1", depts=["east", "south"])
        url = f"/api/v1/customers/{world['east_a'].id}"
        ok = await client.patch(url, headers=vp, json={"department_id": "south", "owner_id": "rep.c"})
        assert ok.status_code == 200
        refused = await client.patch(url, headers=vp, json={"department_id": "north"})
        assert refused.status_code == 403

    async def test_unchanged_values_do_not_bump_version(self, client, world, headers_for):
        rep = headers_for("sales_rep", sub="rep.a", dept="east")
        url = f"/api/v1/customers/{world['east_a'].id}"
        name = (await client.get(url, headers=rep)).json()["name"]
        response = await client.patch(url, headers=rep, json={"name": name})
        assert response.json()["version"] == 1

    async def test_only_admin_deletes(self, client, world, headers_for, admin):
        url = f"/api/v1/customers/{world['east_a'].id}"
        head = headers_for("dept_head", sub="head.e", dept="east")
        assert (await client.delete(url, headers=head)).status_code == 403
        assert (await client.delete(url, headers=admin)).status_code == 204
        assert (await client.get(url, headers=admin)).status_code == 404


class TestFilters:
    async def test_filters_and_search(self, client, session, headers_for):
        department = await create_department(session, id="east")
        await create_customer(session, department=department, name="宁波港城机械", owner_id="rep.a")
        await create_customer(session, department=department, name="杭州恒远化工",
                              owner_id="rep.b", credit_rating="A")
        head = headers_for("dept_head", sub="head.e", dept="east")
        by_owner = (await client.get("/api/v1/customers", headers=head,
                                     params={"owner_id": "rep.b"})).json()
        assert [c["name"] for c in by_owner["items"]] == ["杭州恒远化工"]
        by_rating = (await client.get("/api/v1/customers", headers=head,
                                      params={"credit_rating": "A"})).json()
        assert len(by_rating["items"]) == 1
        by_text = (await client.get("/api/v1/customers", headers=head, params={"q": "港城"})).json()
        assert [c["name"] for c in by_text["items"]] == ["宁波港城机械"]


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
async def test_concurrent_registrations_of_one_company(committing_app, engine, headers_for):
    """Two reps registering the same credit code at the same moment: exactly one wins."""
    import httpx

    from app.core.db import create_sessionmaker

    maker = create_sessionmaker(engine)
    async with maker() as session:
        session.add(Department(id="race", name="Race dept"))
        await session.commit()
    code = valid_credit_code(424242)
    reps = [headers_for("sales_rep", sub=f"rep.race{i}", dept="race") for i in range(4)]
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = await asyncio.gather(*[
            client.post("/api/v1/customers", headers=h,
                        json={"name": "Contested Co", "credit_code": code}) for h in reps])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
