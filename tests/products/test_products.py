import pytest

from tests.factories.products import create_product

VALID = {"sku": "PMP-100", "name": "离心泵 CP-100", "unit": "台", "product_line": "pumps",
         "list_price": "12800.00", "floor_price": "11000.00", "tax_rate": "0.13"}


class TestProducts:
    async def test_create_formats_money_and_rates(self, client, admin):
        response = await client.post("/api/v1/products", headers=admin, json=VALID)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["list_price"], body["floor_price"], body["tax_rate"]) == (
            "12800.00", "11000.00", "0.1300")
        assert body["active"] is True and body["unit"] == "台"

    async def test_floor_equal_to_list_is_allowed(self, client, admin):
        response = await client.post("/api/v1/products", headers=admin,
                                     json={**VALID, "floor_price": "12800.00"})
        assert response.status_code == 201

    async def test_floor_one_cent_above_list_is_refused(self, client, admin):
        response = await client.post("/api/v1/products", headers=admin,
                                     json={**VALID, "floor_price": "12800.01"})
        assert response.status_code == 422
        assert response.json()["code"] == "product.floor_above_list"

    async def test_update_checks_floor_against_the_merged_prices(self, client, session, admin):
        product = await create_product(session, list_price="100.00", floor_price="80.00")
        response = await client.patch(f"/api/v1/products/{product.id}", headers=admin,
                                      json={"list_price": "79.99"})
        assert response.status_code == 422 and response.json()["code"] == "product.floor_above_list"
        ok = await client.patch(f"/api/v1/products/{product.id}", headers=admin,
                                json={"list_price": "80.00"})
        assert ok.status_code == 200 and ok.json()["list_price"] == "80.00"

    @pytest.mark.parametrize("field,value", [("tax_rate", "1.5"), ("tax_rate", "-0.01"),
                                             ("tax_rate", "0.12345"), ("list_price", "-1"),
                                             ("sku", "has space"), ("name", "")])
    async def test_invalid_values(self, client, admin, field, value):
        response = await client.post("/api/v1/products", headers=admin, json={**VALID, field: value})
        assert response.status_code == 422

    async def test_duplicate_sku(self, client, session, admin):
        await create_product(session, sku="PMP-100")
        response = await client.post("/api/v1/products", headers=admin, json=VALID)
        assert response.status_code == 409 and response.json()["code"] == "product.duplicate_sku"

    async def test_renaming_sku_onto_another_is_refused(self, client, session, admin):
        await create_product(session, sku="A-1")
        other = await create_product(session, sku="B-1")
        response = await client.patch(f"/api/v1/products/{other.id}", headers=admin,
                                      json={"sku": "A-1"})
        assert response.status_code == 409

    async def test_search_and_filters(self, client, session, admin):
        await create_product(session, sku="PMP-1", product_line="pumps")
        await create_product(session, sku="VLV-1", product_line="valves")
        by_line = (await client.get("/api/v1/products", headers=admin,
                                    params={"product_line": "valves"})).json()
        assert [p["sku"] for p in by_line["items"]] == ["VLV-1"]
        by_text = (await client.get("/api/v1/products", headers=admin, params={"q": "pmp"})).json()
        assert [p["sku"] for p in by_text["items"]] == ["PMP-1"]
        wildcard = (await client.get("/api/v1/products", headers=admin, params={"q": "%"})).json()
        assert wildcard["items"] == []

    async def test_reps_read_but_do_not_write(self, client, session, headers_for):
        product = await create_product(session)
        rep = headers_for("sales_rep", dept="east")
        assert (await client.get(f"/api/v1/products/{product.id}", headers=rep)).status_code == 200
        response = await client.patch(f"/api/v1/products/{product.id}", headers=rep,
                                      json={"list_price": "1.00"})
        assert response.status_code == 403

    async def test_delete(self, client, session, admin):
        product = await create_product(session)
        assert (await client.delete(f"/api/v1/products/{product.id}", headers=admin)).status_code == 204
        assert (await client.get(f"/api/v1/products/{product.id}", headers=admin)).status_code == 404
