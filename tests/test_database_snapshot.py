"""undo_commits' snapshot (tests/database_snapshot.py): what a test commits is undone, the
seeded rows included, whatever tables it wrote to."""

from sqlalchemy import text

from app.core.db import create_sessionmaker
from tests.database_snapshot import Snapshot
from tests.factories.customers import create_customer
from tests.factories.departments import create_department


async def test_added_changed_and_deleted_rows_are_put_back(undo_commits, engine):
    before = await Snapshot.take(engine)
    assert any(before.rows.values())  # the migrations' seed rows, at least
    async with engine.begin() as connection:
        seal = (await connection.execute(text("SELECT * FROM audit_seal_state"))).one()
    async with create_sessionmaker(engine)() as session:
        department = await create_department(session, id="snapshot")
        await create_customer(session, department=department, owner_id="rep.snapshot")
    async with engine.begin() as connection:
        await connection.execute(text(
            "UPDATE audit_seal_state SET last_seq = 41, last_hash = 'forged' WHERE id = 1"))
        await connection.execute(text("DELETE FROM audit_checkpoint"))

    await before.restore(engine)

    assert (await Snapshot.take(engine)).rows == before.rows
    async with engine.begin() as connection:
        assert (await connection.execute(text("SELECT * FROM audit_seal_state"))).one() == seal
        assert await connection.scalar(text(
            "SELECT count(*) FROM department WHERE id = 'snapshot'")) == 0
