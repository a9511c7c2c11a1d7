"""Leads (SPEC §3): capture by reps and the integration account, normalised contact
details, duplicates flagged on create, visibility, the state machine, assignment."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEntry
from app.events.models import Event
from app.leads.models import Lead

LEADS = "/api/v1/leads"


async def _counts(session) -> tuple[int, int, int]:
    return (await session.scalar(select(func.count()).select_from(Lead)),
            await session.scalar(select(func.count()).select_from(AuditEntry)),
            await session.scalar(select(func.count()).select_from(Event)))


@pytest.fixture
def new_lead(client, company):
    async def make(headers: dict | None = None, **overrides) -> dict:
        body = {"source": "exhibition", "company": "宁波港城机械制造有限公司",
                "contact_name": "王经理", "phone": "138 1234 5678"} | overrides
        response = await client.post(LEADS, headers=headers or company.rep, json=body)
        assert response.status_code == 201, response.text
        return response.json()
    return make


@pytest.fixture
def erp(headers_for):
    return headers_for("integration", sub="erp.web")


class TestCapture:
    async def test_rep_owns_the_lead_and_details_are_normalised(self, client, company, session):
        response = await client.post(LEADS, headers=company.rep, json={
            "source": "web", "company": "杭州恒远化工有限公司", "contact_name": "李工",
            "phone": "+86 (0)21 5555-0000 转 8021", "email": "Li.Gong@HengYuan.COM",
            "needs": "200 台离心泵, 三季度交货"})
        assert response.status_code == 201, response.text
        lead = response.json()
        assert (lead["owner_id"], lead["department_id"], lead["status"]) == (
            "rep.zhang", "east", "new")
        assert (lead["phone"], lead["phone_extension"], lead["email"]) == (
            "+862155550000", "8021", "li.gong@hengyuan.com")
        assert lead["duplicates"] == [] and lead["possible_duplicate"] is False
        assert response.headers["Location"] == f"{LEADS}/{lead['id']}"
        assert response.headers["ETag"] == '"1"'
        assert set(lead["allowed_actions"]) == {"update", "contact", "disqualify"}
        event = (await session.execute(select(Event).where(
            Event.subject == f"lead:{lead['id']}"))).scalar_one()
        assert event.type == "lead.created" and event.actor_id == "rep.zhang"
        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity_type == "lead"))).scalar_one()
        assert audit.action == "lead.created" and audit.after["phone"] == "+862155550000"

    async def test_web_form_through_the_integration_waits_in_the_pool(
            self, client, company, erp):
        response = await client.post(LEADS, headers=erp, json={
            "source": "web", "company": "温州瓯江阀门厂", "email": "buy@oujiang.cn",
            "department_id": "east"})
        assert response.status_code == 201, response.text
        lead = response.json()
        assert lead["owner_id"] is None and lead["created_by"] == "erp.web"
        url = f"{LEADS}/{lead['id']}"
        assert (await client.get(url, headers=company.rep)).status_code == 404
        pool = (await client.get(LEADS, headers=company.head,
                                 params={"unassigned": "true"})).json()
        assert [item["id"] for item in pool["items"]] == [lead["id"]]
        assert "convert" not in (await client.get(url, headers=company.head)).json()[
            "allowed_actions"]

    async def test_integration_must_name_an_active_department(self, client, company, erp,
                                                              session):
        before = await _counts(session)
        body = {"source": "web", "company": "A", "email": "a@example.com"}
        missing = await client.post(LEADS, headers=erp, json=body)
        assert missing.status_code == 422 and missing.json()["code"] == "lead.department_required"
        unknown = await client.post(LEADS, headers=erp, json=body | {"department_id": "mars"})
        assert unknown.status_code == 422 and unknown.json()["code"] == "lead.unknown_department"
        await client.patch("/api/v1/departments/west", headers=company.admin,
                           json={"active": False})
        inactive = await client.post(LEADS, headers=erp, json=body | {"department_id": "west"})
        assert inactive.status_code == 422
        assert (await _counts(session))[0] == before[0]

    @pytest.mark.parametrize(("field", "value"), [
        ("phone", "5555 0000"), ("phone", "call me"), ("phone", "12812345678"),
        ("email", "not-an-email"), ("source", "fax"), ("company", ""),
    ])
    async def test_bad_input_is_a_422_that_creates_nothing(self, client, company, session,
                                                           field, value):
        before = await _counts(session)
        body = {"source": "web", "company": "A", "phone": "13812345678"} | {field: value}
        response = await client.post(LEADS, headers=company.rep, json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", field]
        assert await _counts(session) == before

    async def test_a_lead_needs_a_phone_or_an_email(self, client, company, session):
        before = await _counts(session)
        response = await client.post(LEADS, headers=company.rep,
                                     json={"source": "phone", "company": "A"})
        assert response.status_code == 422 and response.json()["code"] == "lead.contact_required"
        assert await _counts(session) == before

    async def test_reps_cannot_create_for_others_and_finance_cannot_create(
            self, client, company, session):
        for_other = await client.post(LEADS, headers=company.rep, json={
            "source": "web", "company": "A", "phone": "13812345678", "owner_id": "rep.liu"})
        assert for_other.status_code == 403
        assert for_other.json()["code"] == "lead.assignment_forbidden"
        finance = await client.post(LEADS, headers=company.finance, json={
            "source": "web", "company": "A", "phone": "13812345678", "department_id": "east"})
        assert finance.status_code == 403 and finance.json()["code"] == "forbidden"


class TestDuplicates:
    async def test_same_phone_in_another_form(self, client, company, new_lead):
        first = await new_lead(phone="13812345678", company="甲公司")
        second = await new_lead(phone="+86 138-1234-5678", company="乙公司")
        assert second["possible_duplicate"] is True
        assert [(d["id"], d["matched_on"]) for d in second["duplicates"]] == [
            (first["id"], ["phone"])]

    async def test_same_email_in_another_case(self, client, company, new_lead):
        first = await new_lead(phone=None, email="wang@gangcheng.cn", company="甲公司")
        second = await new_lead(phone=None, email="WANG@GangCheng.CN", company="乙公司")
        assert [(d["id"], d["matched_on"]) for d in second["duplicates"]] == [
            (first["id"], ["email"])]

    async def test_same_company_in_another_spelling(self, client, company, new_lead):
        first = await new_lead(company="宁波港城机械制造有限公司", phone="13800000001")
        second = await new_lead(company="宁波 港城机械制造", phone="13900000002")
        assert [(d["id"], d["matched_on"]) for d in second["duplicates"]] == [
            (first["id"], ["company"])]

    async def test_every_key_that_matched_is_named_and_newest_come_first(self, new_lead):
        a = await new_lead(company="甲公司", phone="13812345678", email="x@a.cn")
        b = await new_lead(company="乙公司", phone="13812345678")
        c = await new_lead(company="甲公司", phone="13812345678", email="X@A.CN")
        assert [(d["id"], d["matched_on"]) for d in c["duplicates"]] == [
            (b["id"], ["phone"]), (a["id"], ["phone", "email", "company"])]

    async def test_nothing_in_common_is_no_duplicate(self, new_lead):
        await new_lead(company="甲公司", phone="13812345678", email="x@a.cn")
        other = await new_lead(company="乙公司", phone="13912345678", email="y@b.cn")
        assert other["duplicates"] == [] and other["possible_duplicate"] is False

    async def test_another_reps_lead_is_reported_without_its_details(
            self, client, company, new_lead):
        theirs = await new_lead(company.other_rep, company="甲公司", email="boss@a.cn")
        mine = await new_lead(company="甲公司", phone="13700000000")
        [duplicate] = mine["duplicates"]
        assert duplicate == {"id": theirs["id"], "matched_on": ["company"], "status": "new",
                             "owner_id": "rep.liu", "department_id": "east",
                             "created_at": duplicate["created_at"]}
        assert (await client.get(f"{LEADS}/{theirs['id']}",
                                 headers=company.rep)).status_code == 404

    async def test_duplicates_can_be_asked_again_later(self, client, company, new_lead):
        first = await new_lead(company="甲公司")
        second = await new_lead(company="甲公司", phone="13900000000")
        again = (await client.get(f"{LEADS}/{first['id']}/duplicates",
                                  headers=company.rep)).json()
        assert [(d["id"], d["matched_on"]) for d in again["items"]] == [
            (second["id"], ["company"])]


class TestVisibility:
    async def test_other_reps_leads_are_404_everywhere(self, client, company, new_lead):
        theirs = await new_lead(company.other_rep)
        url = f"{LEADS}/{theirs['id']}"
        assert (await client.get(url, headers=company.rep)).status_code == 404
        for action in ("contact", "qualify"):
            response = await client.post(f"{url}/{action}", headers=company.rep)
            assert response.status_code == 404 and response.json()["code"] == "lead.not_found"
        assert (await client.patch(url, headers=company.rep,
                                   json={"company": "x"})).status_code == 404
        assert (await client.get(f"{url}/duplicates", headers=company.rep)).status_code == 404
        listed = (await client.get(LEADS, headers=company.rep)).json()
        assert theirs["id"] not in [item["id"] for item in listed["items"]]

    async def test_head_and_deputy_see_the_department_other_departments_do_not(
            self, client, company, new_lead, headers_for):
        mine, theirs = await new_lead(), await new_lead(company.other_rep)
        for viewer in (company.head, company.vp, company.gm, company.finance):
            listed = (await client.get(LEADS, headers=viewer)).json()
            assert {item["id"] for item in listed["items"]} == {mine["id"], theirs["id"]}
        west_head = headers_for("dept_head", sub="head.west", dept="west")
        assert (await client.get(LEADS, headers=west_head)).json()["items"] == []
        assert (await client.get(f"{LEADS}/{mine['id']}", headers=west_head)).status_code == 404

    async def test_readers_may_not_work_a_lead(self, client, company, new_lead):
        lead = await new_lead()
        response = await client.post(f"{LEADS}/{lead['id']}/contact", headers=company.finance)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert (await client.get(f"{LEADS}/{lead['id']}",
                                 headers=company.finance)).json()["allowed_actions"] == []


class TestStates:
    async def test_new_contacted_qualified(self, client, company, new_lead, session):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        contacted = await client.post(f"{url}/contact", headers=company.rep)
        assert contacted.status_code == 200 and contacted.json()["status"] == "contacted"
        assert contacted.json()["contacted_at"] and contacted.headers["ETag"] == '"2"'
        qualified = (await client.post(f"{url}/qualify", headers=company.rep)).json()
        assert qualified["status"] == "qualified" and qualified["qualified_at"]
        assert "convert" in qualified["allowed_actions"]
        types = (await session.execute(select(Event.type).where(
            Event.subject == f"lead:{lead['id']}").order_by(Event.id))).scalars().all()
        assert types == ["lead.created", "lead.contacted", "lead.qualified"]

    async def test_a_new_lead_is_contacted_before_it_is_qualified(self, client, company,
                                                                   new_lead):
        lead = await new_lead()
        response = await client.post(f"{LEADS}/{lead['id']}/qualify", headers=company.rep)
        assert response.status_code == 409
        assert response.json()["allowed_next"] == ["contacted", "disqualified"]

    async def test_disqualify_needs_a_reason_and_closes_the_lead(self, client, company,
                                                                 new_lead):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        no_reason = await client.post(f"{url}/disqualify", headers=company.rep, json={})
        assert no_reason.status_code == 422
        closed = (await client.post(f"{url}/disqualify", headers=company.rep,
                                    json={"reason": "同行询价, 无采购意向"})).json()
        assert closed["status"] == "disqualified" and closed["disqualify_reason"]
        assert closed["allowed_actions"] == []
        again = await client.post(f"{url}/contact", headers=company.rep)
        assert again.status_code == 409
        assert again.json()["code"] == "state.invalid_transition"
        assert again.json()["allowed_next"] == []
        edit = await client.patch(url, headers=company.rep, json={"needs": "x"})
        assert edit.status_code == 409 and edit.json()["code"] == "lead.closed"

    async def test_contact_twice_is_a_conflict_naming_what_is_allowed(self, client, company,
                                                                      new_lead):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        await client.post(f"{url}/contact", headers=company.rep)
        twice = await client.post(f"{url}/contact", headers=company.rep)
        assert twice.status_code == 409
        assert twice.json()["allowed_next"] == ["disqualified", "qualified"]

    async def test_stale_if_match_is_412_and_changes_nothing(self, client, company, new_lead):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        await client.patch(url, headers=company.rep, json={"needs": "阀门"})
        stale = await client.post(f"{url}/contact", headers={**company.rep, "If-Match": '"1"'})
        assert stale.status_code == 412
        assert (await client.get(url, headers=company.rep)).json()["status"] == "new"


class TestUpdate:
    async def test_edit_renormalises_and_keeps_what_was_not_sent(self, client, company,
                                                                 new_lead):
        lead = await new_lead(phone="021-5555 0000 转 12")
        url = f"{LEADS}/{lead['id']}"
        edited = (await client.patch(url, headers=company.rep, json={
            "email": "New@Example.com", "company": "新名称有限公司"})).json()
        assert (edited["email"], edited["phone"], edited["phone_extension"]) == (
            "new@example.com", "+862155550000", "12")
        assert edited["version"] == 2
        cleared = await client.patch(url, headers=company.rep, json={"phone": None})
        assert cleared.json()["phone"] is None and cleared.json()["phone_extension"] is None
        unreachable = await client.patch(url, headers=company.rep, json={"email": None})
        assert unreachable.status_code == 422
        assert unreachable.json()["code"] == "lead.contact_required"
        assert (await client.get(url, headers=company.rep)).json()["email"] == "new@example.com"

    async def test_null_company_is_refused(self, client, company, new_lead):
        lead = await new_lead()
        response = await client.patch(f"{LEADS}/{lead['id']}", headers=company.rep,
                                      json={"company": None})
        assert response.status_code == 422


class TestAssignment:
    async def test_head_assigns_from_the_pool_and_reassigns_audited(
            self, client, company, erp, session):
        lead = (await client.post(LEADS, headers=erp, json={
            "source": "web", "company": "A", "email": "a@a.cn",
            "department_id": "east"})).json()
        url = f"{LEADS}/{lead['id']}"
        assigned = await client.post(f"{url}/assign", headers=company.head,
                                     json={"owner_id": "rep.zhang"})
        assert assigned.status_code == 200 and assigned.json()["owner_id"] == "rep.zhang"
        assert (await client.get(url, headers=company.rep)).status_code == 200
        moved = (await client.post(f"{url}/assign", headers=company.head,
                                   json={"owner_id": "rep.liu"})).json()
        assert moved["owner_id"] == "rep.liu"
        assert (await client.get(url, headers=company.rep)).status_code == 404
        rows = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity_type == "lead", AuditEntry.action == "lead.assigned")
            .order_by(AuditEntry.id))).scalars().all()
        assert [(r.before["owner_id"], r.after["owner_id"], r.actor_id) for r in rows] == [
            (None, "rep.zhang", "head.wang"), ("rep.zhang", "rep.liu", "head.wang")]
        event = (await session.execute(select(Event).where(
            Event.type == "lead.assigned").order_by(Event.id.desc()).limit(1))).scalar_one()
        assert event.data["previous_owner_id"] == "rep.zhang"

    async def test_reps_cannot_assign(self, client, company, new_lead):
        lead = await new_lead()
        response = await client.post(f"{LEADS}/{lead['id']}/assign", headers=company.rep,
                                     json={"owner_id": "rep.liu"})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    async def test_heads_stay_in_their_department_the_gm_does_not(self, client, company,
                                                                  new_lead):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        out = await client.post(f"{url}/assign", headers=company.head,
                                json={"owner_id": "rep.west", "department_id": "west"})
        assert out.status_code == 403
        moved = await client.post(f"{url}/assign", headers=company.gm,
                                  json={"owner_id": "rep.west", "department_id": "west"})
        assert moved.status_code == 200 and moved.json()["department_id"] == "west"
        assert (await client.get(url, headers=company.head)).status_code == 404

    async def test_back_to_the_pool_and_not_once_closed(self, client, company, new_lead):
        lead = await new_lead()
        url = f"{LEADS}/{lead['id']}"
        pooled = (await client.post(f"{url}/assign", headers=company.head,
                                    json={"owner_id": None})).json()
        assert pooled["owner_id"] is None
        await client.post(f"{url}/disqualify", headers=company.head, json={"reason": "空号"})
        closed = await client.post(f"{url}/assign", headers=company.head,
                                   json={"owner_id": "rep.zhang"})
        assert closed.status_code == 409 and closed.json()["code"] == "lead.closed"

    async def test_unknown_department(self, client, company, new_lead):
        lead = await new_lead()
        response = await client.post(f"{LEADS}/{lead['id']}/assign", headers=company.gm,
                                     json={"owner_id": "x", "department_id": "mars"})
        assert response.status_code == 422 and response.json()["code"] == "lead.unknown_department"


class TestList:
    async def test_filters(self, client, company, new_lead, session):
        web = await new_lead(source="web", company="杭州恒远化工", contact_name="李工")
        fair = await new_lead(source="exhibition", company="宁波港城", contact_name="王经理",
                              phone="13900000000")
        other = await new_lead(company.other_rep, source="referral", company="温州瓯江",
                               contact_name="赵总", phone="13700000000")
        await client.post(f"{LEADS}/{fair['id']}/contact", headers=company.rep)
        await client.post(f"{LEADS}/{fair['id']}/qualify", headers=company.rep)
        # Created on the company's calendar: 2026-03-01 00:30 in Shanghai is 02-28 in UTC.
        await session.execute(update(Lead).where(Lead.id == web["id"]).values(
            created_at=datetime(2026, 2, 28, 16, 30, tzinfo=UTC)))
        await session.commit()

        async def ids(**params) -> list[int]:
            body = (await client.get(LEADS, headers=company.head, params=params)).json()
            return [item["id"] for item in body["items"]]

        assert await ids() == [other["id"], fair["id"], web["id"]]
        assert await ids(status="qualified") == [fair["id"]]
        assert await ids(source="referral") == [other["id"]]
        assert await ids(owner_id="rep.liu") == [other["id"]]
        assert await ids(q="恒远") == [web["id"]]
        assert await ids(q="王经") == [fair["id"]]
        assert await ids(q="%") == []
        assert await ids(created_from="2026-03-01", created_to="2026-03-01") == [web["id"]]
        assert await ids(created_to="2026-02-28") == []
        assert await ids(possible_duplicate="true") == []

    async def test_pages(self, client, company, new_lead):
        created = [(await new_lead(phone=f"1380000000{i}"))["id"] for i in range(5)]
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = (await client.get(LEADS, headers=company.rep, params=params)).json()
            seen += [item["id"] for item in body["items"]]
            if not (cursor := body["next_cursor"]):
                break
        assert seen == sorted(created, reverse=True)
