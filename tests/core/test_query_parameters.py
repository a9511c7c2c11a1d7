"""A misspelt or unknown query parameter is a 400 naming it and what the operation accepts,
never silently ignored (`?stauts=draft` would otherwise list every contract)."""


async def test_an_unknown_filter_is_refused_with_what_is_accepted(client, admin):
    response = await client.get("/api/v1/contracts", params={"stauts": "draft"}, headers=admin)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "request.unknown_query_parameter"
    assert problem["errors"][0]["loc"] == ["query", "stauts"]
    assert "status" in problem["detail"] and "limit" in problem["detail"]


async def test_declared_filters_and_paging_are_accepted(client, admin):
    response = await client.get("/api/v1/contracts", headers=admin,
                                params={"status": "draft", "limit": "5", "number": "HT-2026-1"})
    assert response.status_code == 200, response.text


async def test_a_write_with_an_unknown_parameter_changes_nothing(client, admin):
    refused = await client.post("/api/v1/departments", params={"dry_run": "1"}, headers=admin,
                                json={"id": "qa", "name": "质量部"})
    assert refused.status_code == 400, refused.text
    assert (await client.get("/api/v1/departments/qa", headers=admin)).status_code == 404


async def test_every_unknown_name_is_listed(client, admin):
    response = await client.get("/api/v1/orders", params={"a": "1", "b": "2"}, headers=admin)
    assert response.status_code == 400
    assert [e["loc"][1] for e in response.json()["errors"]] == ["a", "b"]
