"""From a signed contract to shipped goods through the API alone: the order placed,
reviewed and confirmed, then delivered in parts, the order following; every document
numbered (DD-, FH-) and found again by its number."""

import re

DELIVERIES = "/api/v1/deliveries"
ORDERS = "/api/v1/orders"


async def confirmed(shop, *quantities: str) -> dict:
    await shop.set_credit("1000000.00")
    contract = await shop.signed_contract(("10", "100.00"))
    order = await shop.place(contract, *quantities)
    submitted = await shop.submit(order)
    await shop.approve_all(submitted["approval"]["id"])
    return await shop.get(order)


async def test_an_order_is_delivered_in_parts_and_follows_its_deliveries(client, shop):
    order = await confirmed(shop, "10")
    assert order["status"] == "confirmed"
    line_id = order["lines"][0]["id"]

    async def deliver(quantity: str) -> dict:
        planned = await shop.ok(await client.post(DELIVERIES, headers=shop.logistics, json={
            "order_id": order["id"], "lines": [{"order_line_id": line_id,
                                                "quantity": quantity}]}), 201)
        return await shop.ok(await client.post(
            f"{DELIVERIES}/{planned['id']}/ship", headers=shop.logistics,
            json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"}))

    first = await deliver("4")
    assert first["status"] == "shipped"
    assert (await shop.get(order))["status"] == "partially_delivered"
    await deliver("6")
    assert (await shop.get(order))["status"] == "delivered"
    over = await client.post(DELIVERIES, headers=shop.logistics, json={
        "order_id": order["id"], "lines": [{"order_line_id": line_id, "quantity": "0.001"}]})
    assert over.status_code == 409, over.text


async def test_orders_and_deliveries_are_numbered_and_found_by_number(client, shop):
    order = await confirmed(shop, "2")
    assert re.fullmatch(r"DD-\d{4}-\d{6}", order["number"])
    delivery = await shop.ok(await client.post(DELIVERIES, headers=shop.logistics, json={
        "order_id": order["id"],
        "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": "1"}]}), 201)
    assert re.fullmatch(r"FH-\d{4}-\d{6}", delivery["number"])

    found = await shop.ok(await client.get(
        ORDERS, params={"number": order["number"].lower()}, headers=shop.company.rep))
    assert [o["id"] for o in found["items"]] == [order["id"]]
    found = await shop.ok(await client.get(
        DELIVERIES, params={"number": delivery["number"]}, headers=shop.logistics))
    assert [d["id"] for d in found["items"]] == [delivery["id"]]
    none = await shop.ok(await client.get(
        ORDERS, params={"number": "DD-1999-000001"}, headers=shop.company.rep))
    assert none["items"] == []
    # Another rep searching the number finds nothing: visibility comes first.
    hidden = await shop.ok(await client.get(
        ORDERS, params={"number": order["number"]}, headers=shop.company.other_rep))
    assert hidden["items"] == []
