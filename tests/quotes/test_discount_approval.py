"""Quote discount approval (SPEC §2.1): the largest line discount picks the band, bounds
inclusive; within the rep's authority the quote is approved at once; a line below its
product's floor price needs the GM."""

import pytest
from sqlalchemy import select

from app.events.models import Event
from tests.factories.quotes import quote_line
from tests.quotes.conftest import QUOTES, chain


def messages(rules: list[dict]) -> list[str]:
    return [rule["message"] for rule in rules]


class TestBands:
    @pytest.mark.parametrize(("discount", "approvers"), [
        ("0", []), ("5.00", []), ("5.01", [["dept_head"]]), ("15.00", [["dept_head"]]),
        ("15.01", [["deputy_gm"]]), ("20.00", [["deputy_gm"]]), ("25.00", [["gm"]]),
    ])
    async def test_line_discount_at_the_band_edges(self, company, submitted_quote, discount,
                                                   approvers):
        # 25.00 % takes the line to 750.00, below the 800.00 floor: the GM, whatever the band.
        quote = await submitted_quote(quote_line(company.product_id, discount=discount))
        assert chain(quote) == approvers
        assert quote["status"] == ("approved" if not approvers else "pending_approval")
        assert quote["approval"]["policy_key"] == "quote_discount"

    @pytest.mark.parametrize(("discount", "approvers"), [
        ("25.00", [["deputy_gm"]]), ("25.01", [["gm"]])])
    async def test_the_top_band_edge_on_a_product_without_floor(self, company, session,
                                                                submitted_quote, discount,
                                                                approvers):
        from tests.factories.products import create_product

        product = await create_product(session, list_price="1000.00", floor_price="0.00")
        quote = await submitted_quote(quote_line(product.id, discount=discount))
        assert chain(quote) == approvers

    async def test_within_authority_is_approved_at_once_and_says_why(self, client, company,
                                                                    submitted_quote, session):
        quote = await submitted_quote(quote_line(company.product_id, discount="5.00"))
        assert quote["status"] == "approved" and quote["approval"]["status"] == "approved"
        assert messages(quote["approval"]["fired_rules"]) == [
            "discount 5.00 % is within the rep's authority (≤ 5.00 %)"]
        assert quote["allowed_actions"] == ["send", "revise"]
        types = (await session.execute(select(Event.type).where(
            Event.subject == f"quote:{quote['id']}").order_by(Event.id))).scalars().all()
        assert types == ["quote.created", "quote.submitted", "quote.approved"]

    async def test_the_largest_line_discount_decides(self, company, submitted_quote):
        quote = await submitted_quote(quote_line(company.product_id, discount="3"),
                                      quote_line(company.product_id, discount="12.5"))
        assert quote["max_discount_percent"] == "12.50"
        assert chain(quote) == [["dept_head"]]
        assert messages(quote["approval"]["fired_rules"]) == [
            "discount 12.50 % is in band 2 (> 5.00 % and ≤ 15.00 %): dept_head approves"]

    @pytest.mark.parametrize(("unit_price", "discount", "effective", "approvers"), [
        ("950.00", "0", "5.00", []),
        ("949.99", "0", "5.01", [["dept_head"]]),  # 5.001 %: rounded up, never down a band
        ("1100.00", "10", "1.00", []),  # above list, then discounted: 990.00
        ("1000.00", "5.01", "5.01", [["dept_head"]]),
    ])
    async def test_a_lower_price_counts_as_a_discount(self, company, submitted_quote,
                                                     unit_price, discount, effective,
                                                     approvers):
        quote = await submitted_quote(quote_line(company.product_id, unit_price=unit_price,
                                                 discount=discount))
        assert quote["lines"][0]["effective_discount_percent"] == effective
        assert chain(quote) == approvers


class TestFloorPrice:
    @pytest.mark.parametrize(("line", "below", "approvers"), [
        ({"discount": "20.00"}, False, [["deputy_gm"]]),  # 800.00: exactly the floor
        ({"discount": "20.01"}, True, [["gm"]]),  # 799.90
        ({"unit_price": "800.00"}, False, [["deputy_gm"]]),
        ({"unit_price": "799.99"}, True, [["gm"]]),  # one cent below
    ])
    async def test_floor_exactly_is_allowed_a_cent_below_needs_the_gm(
            self, company, submitted_quote, line, below, approvers):
        quote = await submitted_quote(quote_line(company.product_id, **line))
        assert quote["lines"][0]["below_floor"] is below and quote["below_floor"] is below
        assert chain(quote) == approvers
        if below:
            assert "below its product's floor price" in quote["approval"]["fired_rules"][0]["message"]
            assert quote["approval"]["flags"] == ["below_floor"]

    async def test_a_small_discount_on_a_line_below_floor_still_needs_the_gm(
            self, company, submitted_quote):
        quote = await submitted_quote(quote_line(company.product_id, discount="1"),
                                      quote_line(company.product_id, unit_price="700.00",
                                                 discount="0"))
        assert chain(quote) == [["gm"]]

    async def test_floor_in_a_foreign_currency_is_checked_in_cny(self, company,
                                                                submitted_quote):
        # 112.68 USD × 7.1 = 800.028 CNY: above the floor; 112.67 USD = 799.957: below.
        above = await submitted_quote(quote_line(company.product_id, unit_price="112.68"),
                                      currency="USD", exchange_rate="7.1")
        below = await submitted_quote(quote_line(company.product_id, unit_price="112.67"),
                                      currency="USD", exchange_rate="7.1")
        assert (above["below_floor"], below["below_floor"]) == (False, True)
        assert chain(below) == [["gm"]]


class TestDecisions:
    async def test_the_band_approver_approves(self, client, company, submitted_quote, session):
        quote = await submitted_quote(quote_line(company.product_id, discount="10"))
        url = f"{QUOTES}/{quote['id']}"
        assert (await client.post(f"{url}/send", headers=company.rep)).status_code == 409
        wrong = await client.post(f"/api/v1/approvals/{quote['approval']['id']}/approve",
                                  headers=company.vp, json={})
        assert wrong.status_code == 403 and wrong.json()["code"] == "approval.not_eligible"
        head_view = (await client.get(url, headers=company.head)).json()
        assert head_view["allowed_actions"] == ["approve", "reject"]
        done = await client.post(f"/api/v1/approvals/{quote['approval']['id']}/approve",
                                 headers=company.head, json={"comment": "同意 10%"})
        assert done.status_code == 200
        approved = (await client.get(url, headers=company.rep)).json()
        assert approved["status"] == "approved"
        event = (await session.execute(select(Event).where(Event.type == "quote.approved")
                                       )).scalar_one()
        assert event.data["approval_request_id"] == quote["approval"]["id"]

    async def test_rejection_returns_the_quote_to_draft_with_the_reason(
            self, client, company, submitted_quote):
        quote = await submitted_quote(quote_line(company.product_id, discount="18"))
        response = await client.post(f"/api/v1/approvals/{quote['approval']['id']}/reject",
                                     headers=company.vp, json={"comment": "折扣过高"})
        assert response.status_code == 200
        back = (await client.get(f"{QUOTES}/{quote['id']}", headers=company.rep)).json()
        assert (back["status"], back["rejection_reason"]) == ("draft", "折扣过高")
        assert back["allowed_actions"] == ["update", "submit"]
        edited = await client.patch(f"{QUOTES}/{quote['id']}", headers=company.rep, json={
            "lines": [quote_line(company.product_id, discount="5")]})
        again = (await client.post(f"{QUOTES}/{quote['id']}/submit", headers=company.rep)).json()
        assert edited.status_code == 200 and again["status"] == "approved"
        assert again["rejection_reason"] is None

    async def test_recall_by_the_submitter(self, client, company, submitted_quote):
        quote = await submitted_quote(quote_line(company.product_id, discount="10"))
        url = f"{QUOTES}/{quote['id']}"
        assert quote["allowed_actions"] == ["recall"]
        by_head = await client.post(f"{url}/recall", headers=company.head)
        assert by_head.status_code == 403
        recalled = await client.post(f"{url}/recall", headers=company.rep)
        assert recalled.status_code == 200 and recalled.json()["status"] == "draft"

    async def test_the_policy_decides_new_submissions(self, client, company, submitted_quote):
        policy = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()
        document = policy["policy"]
        document["discount_bands"][0]["up_to_percent"] = "10.00"
        saved = await client.put("/api/v1/approval-policy", headers=company.admin, json=document)
        assert saved.status_code == 200, saved.text
        quote = await submitted_quote(quote_line(company.product_id, discount="8"))
        assert quote["status"] == "approved" and quote["approval"]["policy_version"] == 2

    async def test_preview_by_document_equals_submission(self, client, company, new_quote):
        quote = await new_quote(quote_line(company.product_id, discount="20.01"))
        preview = (await client.post("/api/v1/approvals/preview", headers=company.rep, json={
            "document_type": "quote", "document_id": quote["id"]})).json()
        submitted = (await client.post(f"{QUOTES}/{quote['id']}/submit",
                                       headers=company.rep)).json()
        assert preview["fired_rules"] == submitted["approval"]["fired_rules"]
        assert [[s["role"] for s in stage["steps"]] for stage in preview["stages"]] == [["gm"]]


class TestVisibility:
    async def test_other_reps_quotes_are_404(self, client, company, new_quote):
        quote = await new_quote()
        url = f"{QUOTES}/{quote['id']}"
        assert (await client.get(url, headers=company.other_rep)).status_code == 404
        response = await client.post(f"{url}/submit", headers=company.other_rep)
        assert response.status_code == 404 and response.json()["code"] == "quote.not_found"
        assert (await client.get(QUOTES, headers=company.other_rep)).json()["items"] == []
        assert (await client.get(url, headers=company.head)).status_code == 200
