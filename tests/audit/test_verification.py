"""Verification from the verified checkpoint, and the full check (issue 19).

`GET /audit-log/verify` recomputes what was sealed after the checkpoint, so it finds an
entry tampered with after it; an entry tampered with at or before it is found only by the
full check (the worker's schedule, `salesflow audit verify --full`), which then moves the
checkpoint back so the quick check reports the break too. Tampering is plain SQL."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text, update

from app import worker
from app.audit.models import AuditCheckpoint, AuditEntry, AuditSealState
from app.audit.service import entry_hash, record, seal_pending
from app.core.db import create_sessionmaker
from tests.audit.conftest import create_customers
from tests.conftest import IS_POSTGRES

VERIFY = "/api/v1/audit-log/verify"


async def _verify(client, auditor) -> dict:
    response = await client.get(VERIFY, headers=auditor)
    assert response.status_code == 200
    return response.json()


async def _seal(sessionmaker) -> None:
    await worker.run_pass(sessionmaker, lambda: datetime.now(UTC))


async def _entry_of(session, customer: dict) -> AuditEntry:
    return await session.scalar(select(AuditEntry).where(
        AuditEntry.entity_type == "customer", AuditEntry.entity_id == str(customer["id"])))


async def _alter(session, entry: AuditEntry) -> None:
    await session.execute(update(AuditEntry).where(AuditEntry.id == entry.id)
                          .values(after={**entry.after, "credit_limit": "9999999.00"}))
    await session.commit()


async def _remove(session, entry: AuditEntry) -> None:
    await session.execute(delete(AuditEntry).where(AuditEntry.id == entry.id))
    await session.commit()


async def _relink(session, entry: AuditEntry) -> None:
    """Rewrite the entry and recompute its own hash: the next entry's link breaks."""
    entry.after = {**entry.after, "owner_id": "someone.else"}
    entry.hash = entry_hash(entry, seq=entry.seq, prev_hash=entry.prev_hash)
    await session.commit()


TAMPERING = {  # how, and where the break shows relative to the tampered entry
    "altered": (_alter, 0, "content"),
    "removed": (_remove, 0, "missing"),
    "relinked": (_relink, 1, "link"),
}


class TestQuickCheck:
    async def test_verifies_only_what_was_sealed_since_the_checkpoint(
            self, client, sessionmaker, rep, auditor):
        await create_customers(client, rep, 3)
        first = await _verify(client, auditor)
        assert first["valid"] and first["from_seq"] == 0
        assert first["entries_checked"] == first["head_seq"] == first["checkpoint_seq"]
        assert first["last_full_check"] is None
        await create_customers(client, rep, 2)
        second = await _verify(client, auditor)
        assert second["valid"] and second["from_seq"] == first["head_seq"]
        assert second["entries_checked"] == 2
        assert second["checkpoint_seq"] == second["head_seq"] == first["head_seq"] + 2
        nothing_new = await _verify(client, auditor)
        assert nothing_new["valid"] and nothing_new["entries_checked"] == 0

    @pytest.mark.parametrize("how", TAMPERING)
    async def test_tampering_after_the_checkpoint_is_found_and_holds_the_checkpoint(
            self, client, session, sessionmaker, rep, auditor, how):
        tamper, offset, problem = TAMPERING[how]
        await create_customers(client, rep, 2)
        checkpoint = (await _verify(client, auditor))["checkpoint_seq"]
        customers = await create_customers(client, rep, 3)
        await _seal(sessionmaker)
        target = await _entry_of(session, customers[1])
        assert target.seq > checkpoint
        await tamper(session, target)
        for _ in range(2):  # reported the same way each time: the checkpoint stays before it
            result = await _verify(client, auditor)
            assert result["valid"] is False and problem in result["problem"]
            assert result["first_invalid_seq"] == target.seq + offset
            assert result["checkpoint_seq"] == target.seq + offset - 1

    async def test_removed_newest_entries_are_found(self, client, session, sessionmaker, rep,
                                                    auditor):
        await create_customers(client, rep, 2)
        await _verify(client, auditor)
        await create_customers(client, rep, 2)
        await _seal(sessionmaker)
        newest = await session.scalar(select(func.max(AuditEntry.seq)))
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == newest))
        await session.commit()
        result = await _verify(client, auditor)
        assert result["valid"] is False and "removed" in result["problem"]
        assert result["first_invalid_seq"] == newest

    async def test_the_entry_at_the_checkpoint_is_checked(self, client, session, rep, auditor):
        await create_customers(client, rep, 2)
        checkpoint = (await _verify(client, auditor))["checkpoint_seq"]
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == checkpoint))
        await session.commit()
        result = await _verify(client, auditor)
        assert result["valid"] is False and "removed" in result["problem"]
        assert result["first_invalid_seq"] == checkpoint


class TestFullCheck:
    @pytest.mark.parametrize("how", TAMPERING)
    async def test_tampering_before_the_checkpoint_takes_the_full_check(
            self, client, session, sessionmaker, rep, auditor, how):
        tamper, offset, problem = TAMPERING[how]
        customers = await create_customers(client, rep, 3)
        verified = await _verify(client, auditor)
        target = await _entry_of(session, customers[1])
        assert target.seq < verified["checkpoint_seq"]
        await tamper(session, target)

        unseen = await _verify(client, auditor)  # the quick check vouches for the checkpoint
        assert unseen["valid"] is True and unseen["entries_checked"] == 0

        full = await worker.run_full_audit_check(sessionmaker, by="test")
        assert full.valid is False and problem in (full.problem or "")
        assert full.first_invalid_seq == target.seq + offset
        assert full.entries_checked == target.seq + offset - 1

        after = await _verify(client, auditor)  # the checkpoint went back before the break
        assert after["valid"] is False and after["first_invalid_seq"] == target.seq + offset
        assert after["checkpoint_seq"] == target.seq + offset - 1
        last = after["last_full_check"]
        assert last["valid"] is False and last["checked_by"] == "test"
        assert last["first_invalid_seq"] == target.seq + offset and problem in last["problem"]

    async def test_a_break_is_announced_once(self, client, session, sessionmaker, rep, auditor,
                                             headers_for):
        customers = await create_customers(client, rep, 3)
        await _verify(client, auditor)
        target = await _entry_of(session, customers[0])
        await _alter(session, target)
        for _ in range(2):
            await worker.run_full_audit_check(sessionmaker, by="worker")
        events = (await client.get("/api/v1/events", headers=headers_for("integration"),
                                   params={"types": "audit.chain_broken"})).json()["items"]
        assert len(events) == 1
        assert events[0]["subject"] == f"audit_chain:{target.seq}"
        assert events[0]["data"]["first_invalid_seq"] == target.seq
        assert events[0]["data"]["checked_by"] == "worker"
        await _seal(sessionmaker)
        audited = (await client.get("/api/v1/audit-log", headers=auditor,
                                    params={"action": "audit.chain_broken"})).json()["items"]
        assert [a["actor_id"] for a in audited] == ["system:audit-verify"]
        assert audited[0]["after"]["problem"] == "the entry's content does not match its hash"

    async def test_an_intact_chain_moves_the_checkpoint_to_the_head(
            self, client, sessionmaker, rep, auditor):
        await create_customers(client, rep, 3)
        await _seal(sessionmaker)
        full = await worker.run_full_audit_check(sessionmaker, by="test")
        assert full.valid and full.entries_checked == full.head_seq == full.checkpoint_seq
        quick = await _verify(client, auditor)
        assert quick["valid"] and quick["from_seq"] == full.head_seq
        assert quick["last_full_check"]["valid"] is True
        assert quick["last_full_check"]["entries_checked"] == full.head_seq

    async def test_the_worker_runs_it_on_its_interval_once_across_workers(
            self, client, sessionmaker, rep):
        await create_customers(client, rep, 2)
        await _seal(sessionmaker)
        now = datetime.now(UTC)
        day = timedelta(hours=24)
        first = await worker.run_due_audit_check(sessionmaker, lambda: now, every=day)
        assert first is not None and first.valid
        assert await worker.run_due_audit_check(
            sessionmaker, lambda: now + timedelta(hours=23), every=day) is None
        later = await worker.run_due_audit_check(
            sessionmaker, lambda: now + timedelta(hours=25), every=day)
        assert later is not None and later.valid


async def _write_entries(maker, n: int, tag: str) -> None:
    async with maker() as session:
        for i in range(n):
            record(session, None, action="test.race", entity_type="race", entity_id=f"{tag}-{i}",
                   before=None, after={"i": i, "名": "并发"})
        await session.commit()


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
async def test_concurrent_verifications_while_sealing_keep_the_checkpoint_true(
        committing_app, engine, headers_for):
    """Verifications, sealing and a full check at the same moment, with real commits: every
    answer is valid, the checkpoint only moves forward to a verified entry, and a break is
    reported alike by concurrent verifications, which leave the checkpoint before it."""
    maker = create_sessionmaker(engine)
    auditor = headers_for("auditor", sub="auditor.race")
    await _write_entries(maker, 300, "base")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        async def verify() -> dict:
            response = await client.get(VERIFY, headers=auditor)
            assert response.status_code == 200
            return response.json()

        async def write_and_seal() -> None:
            for round_ in range(4):
                await _write_entries(maker, 150, f"more{round_}")
                async with maker() as session:
                    await seal_pending(session)

        results = await asyncio.gather(
            *[verify() for _ in range(6)], write_and_seal(),
            worker.run_full_audit_check(maker, by="race"), *[verify() for _ in range(4)])
        answers = [r for r in results if isinstance(r, dict)]
        assert all(a["valid"] for a in answers), answers
        assert all(a["checkpoint_seq"] <= a["head_seq"] for a in answers)
        final = await verify()
        assert final["valid"] and final["checkpoint_seq"] == final["head_seq"]
        async with maker() as session:
            state = await session.get(AuditSealState, 1)
            checkpoint = await session.get(AuditCheckpoint, 1)
            assert (checkpoint.verified_seq, checkpoint.verified_hash) == (
                state.last_seq, state.last_hash)

        await _write_entries(maker, 20, "late")
        async with maker() as session:
            await seal_pending(session)
            target = state.last_seq + 5
            await session.execute(text(
                "UPDATE audit_entry SET actor_id = 'forger' WHERE seq = :seq"),
                {"seq": target})
            await session.commit()
        broken = await asyncio.gather(*[verify() for _ in range(4)])
        assert {(b["first_invalid_seq"], b["valid"]) for b in broken} == {(target, False)}
        async with maker() as session:
            checkpoint = await session.get(AuditCheckpoint, 1)
            assert checkpoint.verified_seq == target - 1
