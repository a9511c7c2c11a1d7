"""Quote numbers (报价单号): the year's next BJ number on every new quote, kept by its
revisions, shown on reads and events, and searchable with `?number=`."""

import re

from tests.factories.quotes import quote_body, quote_line

QUOTES = "/api/v1/quotes"
NUMBER = re.compile(r"BJ-(\d{4})-(\d{6})")


def sequence(number: str) -> tuple[int, int]:
    match = NUMBER.fullmatch(number)
    assert match, number
    return int(match[1]), int(match[2])


async def test_new_quotes_take_consecutive_numbers_and_refusals_take_none(client, company,
                                                                         new_quote):
    first = await new_quote()
    refused = await client.post(QUOTES, headers=company.rep, json=quote_body(
        company.customer_id, [quote_line(company.product_id)], valid_until="2026-03-09"))
    assert refused.status_code == 422 and refused.json()["code"] == "quote.valid_until_past"
    second = await new_quote()
    # The clock of tests/quotes/conftest.py stands in March 2026.
    assert sequence(first["number"])[0] == 2026
    assert sequence(second["number"])[1] == sequence(first["number"])[1] + 1
    read = (await client.get(f"{QUOTES}/{second['id']}", headers=company.rep)).json()
    assert read["number"] == second["number"]


async def test_a_revision_keeps_the_number(client, company, sent_quote):
    quote = await sent_quote()
    revised = await client.post(f"{QUOTES}/{quote['id']}/revise", headers=company.rep)
    assert revised.status_code == 201, revised.text
    revision = revised.json()
    assert (revision["number"], revision["revision"]) == (quote["number"], 2)
    history = (await client.get(f"{QUOTES}/{quote['id']}/versions", headers=company.rep)).json()
    assert history["number"] == quote["number"]

    found = (await client.get(QUOTES, headers=company.rep,
                              params={"number": quote["number"].lower()})).json()["items"]
    assert [(q["id"], q["revision"]) for q in found] == [(revision["id"], 2), (quote["id"], 1)]
    feed = (await client.get("/api/v1/events", headers=company.admin, params={
        "types": "quote.created,quote.superseded,quote.revised"})).json()["items"]
    assert {e["data"]["number"] for e in feed if e["subject"] in (
        f"quote:{quote['id']}", f"quote:{revision['id']}")} == {quote["number"]}


async def test_search_is_exact_and_within_what_the_caller_sees(client, company, new_quote,
                                                               headers_for):
    wanted, _other = await new_quote(), await new_quote()
    found = (await client.get(QUOTES, headers=company.rep,
                              params={"number": wanted["number"]})).json()["items"]
    assert [q["id"] for q in found] == [wanted["id"]]
    year, _ = sequence(wanted["number"])
    assert (await client.get(QUOTES, headers=company.rep, params={
        "number": f"BJ-{year}-"})).json()["items"] == []
    west_rep = headers_for("sales_rep", sub="rep.west", dept="west")
    assert (await client.get(QUOTES, headers=west_rep, params={
        "number": wanted["number"]})).json()["items"] == []
