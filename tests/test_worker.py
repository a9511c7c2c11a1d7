"""One pass of background work seals the audit chain and escalates overdue steps."""

from datetime import UTC, datetime

from app import worker
from tests.factories.customers import create_customer


async def test_a_pass_seals_audit_entries(sessionmaker, session):
    await create_customer(session)
    done = await worker.run_pass(sessionmaker, lambda: datetime.now(UTC))
    assert done["audit_sealed"] >= 2  # the department and the customer
    again = await worker.run_pass(sessionmaker, lambda: datetime.now(UTC))
    assert again["audit_sealed"] == 0
