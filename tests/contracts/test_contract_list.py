"""Contract lists carry each item's lines, approval and allowed actions, in a number of
queries that does not grow with the page."""

from sqlalchemy import event


async def _count_queries(engine, call) -> int:
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await call()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return len(statements)


async def test_list_items_are_complete_and_queries_do_not_grow(client, company, submitted,
                                                              draft, engine):
    await submitted("1000.00")
    await draft("2000.00")

    async def list_page():
        response = await client.get("/api/v1/contracts", headers=company.head)
        assert response.status_code == 200
        return response.json()

    page = await list_page()
    newest, older = page["items"]
    assert newest["approval"] is None and newest["lines"] and "submit" in newest["allowed_actions"]
    assert older["approval"]["status"] == "pending" and older["lines"]
    few = await _count_queries(engine, list_page)
    assert few > 0

    for _ in range(4):
        await submitted("1000.00")
    assert len((await list_page())["items"]) == 6
    assert await _count_queries(engine, list_page) == few
