"""A quote after approval (SPEC §3): sent, accepted or declined within its validity;
expired after valid-until (derived on read, made permanent by the worker's sweep); revised
into version n+1 with its history."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import worker
from app.audit.models import AuditEntry
from app.events.models import Event
from app.quotes import expiry
from tests.factories.quotes import quote_line
from tests.quotes.conftest import QUOTES

# valid_until 2026-03-20 ends at midnight in Shanghai: 2026-03-20 16:00 UTC.
LAST_MINUTE = datetime(2026, 3, 20, 15, 59, tzinfo=UTC)
LAPSED = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)


class TestSendAcceptDecline:
    async def test_sent_then_accepted(self, client, company, sent_quote, session):
        quote = await sent_quote()
        assert quote["status"] == "sent" and quote["sent_at"]
        assert quote["allowed_actions"] == ["accept", "decline", "revise"]
        accepted = await client.post(f"{QUOTES}/{quote['id']}/accept", headers=company.rep)
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_at"]
        assert accepted.json()["allowed_actions"] == ["create_contract"]
        types = (await session.execute(select(Event.type).where(
            Event.subject == f"quote:{quote['id']}").order_by(Event.id))).scalars().all()
        assert types[-2:] == ["quote.sent", "quote.accepted"]

    async def test_declined_with_a_reason(self, client, company, sent_quote):
        quote = await sent_quote()
        url = f"{QUOTES}/{quote['id']}"
        no_reason = await client.post(f"{url}/decline", headers=company.rep, json={})
        assert no_reason.status_code == 422
        declined = (await client.post(f"{url}/decline", headers=company.rep,
                                      json={"reason": "预算削减"})).json()
        assert (declined["status"], declined["decline_reason"]) == ("declined", "预算削减")
        late = await client.post(f"{url}/accept", headers=company.rep)
        assert late.status_code == 409 and late.json()["allowed_next"] == ["superseded"]

    async def test_nothing_goes_out_before_approval(self, client, company, new_quote):
        quote = await new_quote()
        for action in ("send", "accept"):
            response = await client.post(f"{QUOTES}/{quote['id']}/{action}", headers=company.rep)
            assert response.status_code == 409
            assert response.json()["code"] == "state.invalid_transition"

    async def test_readers_cannot_act(self, client, company, sent_quote):
        quote = await sent_quote()
        response = await client.post(f"{QUOTES}/{quote['id']}/accept", headers=company.finance)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


class TestExpiry:
    async def test_valid_through_its_last_day_then_expired_on_read(self, client, company,
                                                                   sent_quote, clock):
        quote = await sent_quote(valid_until="2026-03-20")
        url = f"{QUOTES}/{quote['id']}"
        clock.now = LAST_MINUTE
        assert (await client.get(url, headers=company.rep)).json()["status"] == "sent"
        clock.now = LAPSED
        read = (await client.get(url, headers=company.rep)).json()
        assert read["status"] == "expired" and read["allowed_actions"] == ["revise"]
        for action in ("accept", "decline"):
            response = await client.post(f"{url}/{action}", headers=company.rep,
                                         json={"reason": "x"})
            assert response.status_code == 409 and response.json()["code"] == "quote.expired"
        listed = (await client.get(QUOTES, headers=company.rep,
                                   params={"status": "expired"})).json()
        assert [item["id"] for item in listed["items"]] == [quote["id"]]
        assert (await client.get(QUOTES, headers=company.rep,
                                 params={"status": "sent"})).json()["items"] == []

    async def test_an_approved_quote_cannot_be_sent_after_its_validity(
            self, client, company, submitted_quote, clock):
        quote = await submitted_quote(valid_until="2026-03-20")
        clock.now = LAPSED
        response = await client.post(f"{QUOTES}/{quote['id']}/send", headers=company.rep)
        assert response.status_code == 409 and response.json()["code"] == "quote.expired"

    async def test_the_sweep_expires_lapsed_quotes_once_with_event_and_audit(
            self, client, company, sent_quote, submitted_quote, session, clock):
        lapsing = await sent_quote(valid_until="2026-03-20")
        approved = await submitted_quote(valid_until="2026-03-20")
        lasting = await sent_quote(valid_until="2026-03-21")
        draft_id = (await client.post(QUOTES, headers=company.rep, json={
            "customer_id": company.customer_id, "title": "草稿", "valid_until": "2026-03-20",
            "lines": [quote_line(company.product_id)]})).json()["id"]
        assert await expiry.sweep_expired(session, now=LAST_MINUTE) == 0
        assert await expiry.sweep_expired(session, now=LAPSED) == 2
        assert await expiry.sweep_expired(session, now=LAPSED) == 0
        statuses = {q: (await client.get(f"{QUOTES}/{q}", headers=company.rep)).json()["status"]
                    for q in (lapsing["id"], approved["id"], lasting["id"], draft_id)}
        assert statuses == {lapsing["id"]: "expired", approved["id"]: "expired",
                            lasting["id"]: "sent", draft_id: "draft"}
        events = (await session.execute(select(Event).where(Event.type == "quote.expired")
                                        .order_by(Event.id))).scalars().all()
        assert {e.subject for e in events} == {f"quote:{lapsing['id']}",
                                               f"quote:{approved['id']}"}
        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "quote.expired"))).scalars().all()
        assert {a.actor_id for a in audit} == {"system:quote-expiry"}
        assert audit[0].before["status"] in ("sent", "approved")
        assert audit[0].after["status"] == "expired"

    async def test_the_background_worker_runs_the_sweep(self, sessionmaker, sent_quote, client,
                                                        company):
        quote = await sent_quote(valid_until="2026-03-20")
        done = await worker.run_pass(sessionmaker, lambda: LAPSED)
        assert done["quotes_expired"] == 1
        stored = (await client.get(f"{QUOTES}/{quote['id']}", headers=company.rep)).json()
        assert stored["status"] == "expired" and stored["expired_at"]


class TestRevise:
    async def test_a_sent_quote_becomes_version_two_with_history(self, client, company,
                                                                 sent_quote, session):
        quote = await sent_quote(quote_line(company.product_id, quantity="3", discount="2"))
        response = await client.post(f"{QUOTES}/{quote['id']}/revise", headers=company.rep)
        assert response.status_code == 201, response.text
        revision = response.json()
        assert response.headers["Location"] == f"{QUOTES}/{revision['id']}"
        assert (revision["revision"], revision["status"], revision["predecessor_id"],
                revision["root_id"]) == (2, "draft", quote["id"], quote["id"])
        def copied(lines: list[dict]) -> list[dict]:  # a revision's lines are rows of its own
            return [{k: v for k, v in line.items() if k != "id"} for line in lines]
        assert copied(revision["lines"]) == copied(quote["lines"])
        assert revision["total"] == quote["total"]
        assert {line["id"] for line in revision["lines"]}.isdisjoint(
            line["id"] for line in quote["lines"])
        assert revision["approval"] is None
        old = (await client.get(f"{QUOTES}/{quote['id']}", headers=company.rep)).json()
        assert (old["status"], old["successor_id"]) == ("superseded", revision["id"])
        assert old["allowed_actions"] == []
        accepting_old = await client.post(f"{QUOTES}/{quote['id']}/accept", headers=company.rep)
        assert accepting_old.status_code == 409
        twice = await client.post(f"{QUOTES}/{quote['id']}/revise", headers=company.rep)
        assert twice.status_code == 409
        history = (await client.get(f"{QUOTES}/{revision['id']}/versions",
                                    headers=company.rep)).json()
        assert history["root_id"] == quote["id"]
        assert [(v["id"], v["revision"], v["status"], v["successor_id"])
                for v in history["versions"]] == [
            (quote["id"], 1, "superseded", revision["id"]), (revision["id"], 2, "draft", None)]
        events = (await session.execute(select(Event.type, Event.subject).where(
            Event.type.in_(["quote.superseded", "quote.revised"])).order_by(Event.id))).all()
        assert events == [("quote.superseded", f"quote:{quote['id']}"),
                          ("quote.revised", f"quote:{revision['id']}")]

    async def test_the_revision_is_approved_anew(self, client, company, sent_quote):
        quote = await sent_quote()
        revision = (await client.post(f"{QUOTES}/{quote['id']}/revise",
                                      headers=company.rep)).json()
        url = f"{QUOTES}/{revision['id']}"
        await client.patch(url, headers=company.rep,
                           json={"lines": [quote_line(company.product_id, discount="8")]})
        submitted = (await client.post(f"{url}/submit", headers=company.rep)).json()
        assert submitted["status"] == "pending_approval"
        assert submitted["approval"]["document_id"] == revision["id"]

    async def test_an_expired_quote_is_revised_with_a_fresh_validity(self, client, company,
                                                                     sent_quote, clock):
        quote = await sent_quote(valid_until="2026-03-20")
        clock.now = LAPSED
        revision = (await client.post(f"{QUOTES}/{quote['id']}/revise",
                                      headers=company.rep)).json()
        assert revision["valid_until"] == "2026-04-20"
        old = (await client.get(f"{QUOTES}/{quote['id']}", headers=company.rep)).json()
        assert old["status"] == "superseded"

    @pytest.mark.parametrize("stage", ["draft", "pending", "accepted"])
    async def test_drafts_pending_and_accepted_quotes_are_not_revised(
            self, client, company, new_quote, stage):
        discount = "10" if stage == "pending" else "0"
        quote = await new_quote(quote_line(company.product_id, discount=discount))
        url = f"{QUOTES}/{quote['id']}"
        if stage != "draft":
            await client.post(f"{url}/submit", headers=company.rep)
        if stage == "accepted":
            await client.post(f"{url}/send", headers=company.rep)
            await client.post(f"{url}/accept", headers=company.rep)
        response = await client.post(f"{url}/revise", headers=company.rep)
        assert response.status_code == 409
        assert response.json()["code"] == "state.invalid_transition"


class TestOpportunityLink:
    async def test_a_quote_prices_an_open_opportunity_of_the_same_customer(
            self, client, company, new_quote, session):
        from tests.factories.customers import create_customer

        opportunity = (await client.post("/api/v1/opportunities", headers=company.rep, json={
            "customer_id": company.customer_id, "title": "二期", "grade": "low",
            "expected_amount": "1000", "expected_close_date": "2026-06-30"})).json()
        quote = await new_quote(opportunity_id=opportunity["id"])
        assert quote["opportunity_id"] == opportunity["id"]
        listed = (await client.get(QUOTES, headers=company.rep,
                                   params={"opportunity_id": opportunity["id"]})).json()
        assert [item["id"] for item in listed["items"]] == [quote["id"]]
        from app.departments.models import Department
        other = await create_customer(session, owner_id="rep.zhang",
                                      department=await session.get(Department, "east"))
        mismatch = await client.post(QUOTES, headers=company.rep, json={
            "customer_id": other.id, "title": "x", "opportunity_id": opportunity["id"],
            "lines": [quote_line(company.product_id)]})
        assert mismatch.status_code == 422
        assert mismatch.json()["code"] == "quote.opportunity_mismatch"
