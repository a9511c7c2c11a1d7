"""SPEC §7: every write is audited with who, when, before/after and request id; the log is
hash-chained, and verification finds any altered or removed entry (tampering: see
test_verification.py)."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.customers.models import Customer
from app.events.models import Event
from tests.audit.conftest import create_customers


class TestAuditRows:
    async def test_create_and_update_are_recorded(self, client, rep, auditor):
        create = await client.post("/api/v1/customers", json={"name": "Before"},
                                   headers={**rep, "X-Request-ID": "req-create-1"})
        customer = create.json()
        await client.patch(f"/api/v1/customers/{customer['id']}", json={"name": "After"},
                           headers={**rep, "X-Request-ID": "req-update-1"})
        page = (await client.get("/api/v1/audit-log", headers=auditor,
                                 params={"entity_type": "customer",
                                         "entity_id": str(customer["id"])})).json()
        updated, created = page["items"]  # newest first
        assert created["action"] == "customer.created" and created["before"] is None
        assert created["after"]["name"] == "Before" and created["actor_id"] == "rep.audit"
        assert created["request_id"] == "req-create-1"
        assert updated["action"] == "customer.updated"
        assert (updated["before"]["name"], updated["after"]["name"]) == ("Before", "After")
        assert updated["request_id"] == "req-update-1"
        assert updated["after"]["credit_limit"] == "0.00"

    async def test_refused_write_leaves_no_trace(self, client, session, rep):
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.post("/api/v1/customers",
                                     json={"name": "X", "credit_limit": "1.00"}, headers=rep)
        assert response.status_code == 403
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before

    async def test_failure_after_audit_and_event_rolls_everything_back(
        self, client, session, rep, monkeypatch
    ):
        from app.customers import service

        async def crash_at_commit(session_, _error):
            await session_.flush()  # the customer, its audit row and its event are written
            raise RuntimeError("crash between write and commit")

        monkeypatch.setattr(service, "commit_or_raise", crash_at_commit)
        counts = [await session.scalar(select(func.count()).select_from(t))
                  for t in (Customer, AuditEntry, Event)]
        response = await client.post("/api/v1/customers", json={"name": "Doomed"}, headers=rep)
        assert response.status_code == 500
        assert [await session.scalar(select(func.count()).select_from(t))
                for t in (Customer, AuditEntry, Event)] == counts

    @pytest.mark.parametrize("role", ["sales_rep", "dept_head", "gm", "finance", "integration"])
    async def test_only_auditors_and_admins_read_it(self, client, headers_for, role):
        response = await client.get("/api/v1/audit-log", headers=headers_for(role, dept="east"))
        assert response.status_code == 403
        response = await client.get("/api/v1/audit-log/verify",
                                    headers=headers_for(role, dept="east"))
        assert response.status_code == 403

    async def test_admin_reads_it(self, client, admin):
        assert (await client.get("/api/v1/audit-log", headers=admin)).status_code == 200


class TestHashChain:
    async def test_intact_chain_verifies(self, client, rep, auditor):
        await create_customers(client, rep, 3)
        result = (await client.get("/api/v1/audit-log/verify", headers=auditor)).json()
        assert result["valid"] is True, result
        assert result["entries_checked"] == result["head_seq"] >= 4  # department + 3 customers
        page = (await client.get("/api/v1/audit-log", headers=auditor)).json()
        newest = page["items"][0]
        assert newest["seq"] == result["head_seq"] and newest["hash"] == result["head_hash"]
        assert page["items"][1]["hash"] == newest["prev_hash"]

    async def test_sealing_is_incremental(self, client, rep, auditor):
        await create_customers(client, rep, 2)
        first = (await client.get("/api/v1/audit-log/verify", headers=auditor)).json()
        await create_customers(client, rep, 2)
        second = (await client.get("/api/v1/audit-log/verify", headers=auditor)).json()
        assert second["valid"] and second["head_seq"] == first["head_seq"] + 2
