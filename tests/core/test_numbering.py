"""Business numbers (app/core/numbering.py): gap-free per kind and year, taken in the creating
transaction, configurable prefixes, and no lock shared between kinds or years.

The races commit for real (committing_app); they run on both databases, and the tests of
who waits for whom run on PostgreSQL, where creations of different kinds do run at once
(on SQLite every writer queues for the one write lock, by design)."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from app.contracts import service as contracts_service
from app.core.clock import system_clock
from app.core.config import DEFAULT_NUMBER_PREFIXES, Settings, get_settings
from app.core.db import create_sessionmaker
from app.core.numbering import next_number, normalise_number
from tests.conftest import IS_POSTGRES
from tests.factories.contracts import contract_body
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product
from tests.factories.quotes import quote_body, quote_line

CONTRACTS = "/api/v1/contracts"
QUOTES = "/api/v1/quotes"
DEPARTMENT = "numbering-race"
# The races number documents of a year no other test uses, so they can expect exact values.
RACE_YEAR = 2031


def value_of(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


class TestFormat:
    @pytest.mark.parametrize(("typed", "stored"), [
        ("HT-2026-000123", "HT-2026-000123"),
        ("  ht-2026-000123 ", "HT-2026-000123"),
        ("HT-2026-123", "HT-2026-000123"),
        ("HT-2026-0000123", "HT-2026-000123"),
        ("XSHT-2026-1234567", "XSHT-2026-1234567"),
        ("HT-2026-", "HT-2026-"),
        ("合同", "合同"),
    ])
    def test_typed_numbers_are_searched_in_their_stored_form(self, typed, stored):
        assert normalise_number(typed) == stored

    async def test_each_kind_has_its_prefix_and_year(self, session):
        on = date(2030, 7, 1)
        numbers = {kind: await next_number(session, kind, on=on) for kind in (
            "contract", "quote", "order", "delivery", "receivable", "complaint")}
        assert {kind: n.rsplit("-", 1)[0] for kind, n in numbers.items()} == {
            "contract": "HT-2030", "quote": "BJ-2030", "order": "DD-2030",
            "delivery": "FH-2030", "receivable": "YS-2030", "complaint": "TS-2030"}
        assert all(re.fullmatch(r"[A-Z]+-2030-\d{6}", n) for n in numbers.values())

    async def test_an_unknown_kind_is_a_programming_error(self, session):
        with pytest.raises(ValueError, match="invoice"):
            await next_number(session, "invoice", on=date(2030, 1, 1))


class TestGapFree:
    async def test_a_rolled_back_number_is_given_again(self, session):
        on = date(2030, 3, 1)
        first = await next_number(session, "complaint", on=on)
        attempt = await session.begin_nested()
        taken = await next_number(session, "complaint", on=on)
        await attempt.rollback()
        again = await next_number(session, "complaint", on=on)
        assert value_of(taken) == value_of(first) + 1
        assert again == taken

    async def test_years_and_kinds_count_separately(self, session):
        before = await next_number(session, "receivable", on=date(2030, 12, 31))
        new_year = await next_number(session, "receivable", on=date(2031, 1, 1))
        other_kind = await next_number(session, "delivery", on=date(2030, 12, 31))
        after = await next_number(session, "receivable", on=date(2030, 12, 31))
        assert value_of(after) == value_of(before) + 1
        assert new_year.startswith("YS-2031-") and other_kind.startswith("FH-2030-")


class TestPrefixes:
    def test_kinds_left_out_keep_their_default(self):
        settings = Settings(_env_file=None, number_prefixes={"contract": "XSHT"})
        assert settings.number_prefixes == {**DEFAULT_NUMBER_PREFIXES, "contract": "XSHT"}
        assert settings.number_prefixes["quote"] == "BJ"

    @pytest.mark.parametrize(("given", "complaint"), [
        ({"invoice": "FP"}, "unknown document kinds"),
        ({"contract": "ht"}, "upper-case"),
        ({"contract": "HT-X"}, "upper-case"),
        ({"contract": "1HT"}, "upper-case"),
        ({"contract": "ABCDEFGHIJK"}, "upper-case"),
        ({"contract": ""}, "upper-case"),
        ({"order": "HT"}, "more than one kind"),
    ])
    def test_bad_prefixes_are_refused_at_start(self, given, complaint):
        with pytest.raises(ValidationError, match=complaint):
            Settings(_env_file=None, number_prefixes=given)

    async def test_a_new_prefix_carries_on_the_sequence(self, client, company, monkeypatch):
        body = contract_body(company.customer_id, company.product_id)
        before = (await client.post(CONTRACTS, headers=company.rep, json=body)).json()
        monkeypatch.setenv("SALESFLOW_NUMBER_PREFIXES", json.dumps({"contract": "XSHT"}))
        get_settings.cache_clear()
        try:
            after = (await client.post(CONTRACTS, headers=company.rep, json=body)).json()
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
        assert after["number"].startswith("XSHT-")
        assert value_of(after["number"]) == value_of(before["number"]) + 1
        # The numbers already given stay as they were.
        read = (await client.get(f"{CONTRACTS}/{before['id']}", headers=company.rep)).json()
        assert read["number"] == before["number"]


@dataclass
class Race:
    client: httpx.AsyncClient
    rep: dict
    customer_id: int
    product_id: int
    maker: object
    app: object

    def stop_clock(self, year: int) -> None:
        self.app.state.clock = lambda: datetime(year, 6, 1, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]

    async def counter(self, kind: str, year: int = RACE_YEAR) -> int:
        async with self.maker() as session:  # type: ignore[operator]
            return await session.scalar(text(
                "SELECT coalesce(max(last_value), 0) FROM document_counter "
                "WHERE kind = :kind AND year = :year"), {"kind": kind, "year": year}) or 0

    def contract(self, total: str = "1000.00") -> dict:
        return contract_body(self.customer_id, self.product_id, total=total)

    def quote(self) -> dict:
        return quote_body(self.customer_id, [quote_line(self.product_id)],
                          valid_until=f"{RACE_YEAR}-12-31")


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.numbers")
        product = await create_product(session, sku="NUMBERING-1")
    try:
        # The doomed requests answer 500; the client reads the answer instead of raising.
        transport = httpx.ASGITransport(app=committing_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            race = Race(client, headers_for("sales_rep", sub="rep.numbers", dept=DEPARTMENT),
                        customer.id, product.id, maker, committing_app)
            race.stop_clock(RACE_YEAR)
            yield race
    finally:
        committing_app.state.clock = system_clock


class TestRaces:
    async def test_parallel_creations_get_consecutive_numbers_even_when_some_fail(
            self, race, monkeypatch):
        """Twelve contracts drafted at once, four of which fail after taking their number
        (their audit row cannot be written): the eight that commit hold eight consecutive
        numbers, each once, and the counter stands at the last."""
        start = await race.counter("contract")
        record_change = contracts_service.record_change

        def fails_for_doomed(session, principal, **change):
            if change["after"]["total"] == "666.00":
                raise RuntimeError("the audit row could not be written")
            record_change(session, principal, **change)

        monkeypatch.setattr(contracts_service, "record_change", fails_for_doomed)
        totals = ["666.00" if i % 3 == 0 else "1000.00" for i in range(12)]
        answers = await asyncio.gather(*(
            race.client.post(CONTRACTS, headers=race.rep, json=race.contract(total))
            for total in totals))

        assert sorted(a.status_code for a in answers) == [201] * 8 + [500] * 4
        numbers = sorted(a.json()["number"] for a in answers if a.status_code == 201)
        assert numbers == [f"HT-{RACE_YEAR}-{value:06d}" for value in range(start + 1, start + 9)]
        assert await race.counter("contract") == start + 8

    @pytest.mark.skipif(not IS_POSTGRES, reason="on SQLite every writer queues, by design")
    async def test_other_kinds_and_years_do_not_wait_for_a_contract_number(self, race):
        """A contract number of RACE_YEAR is taken and its transaction left open: a quote,
        and a contract of the next year, are still created meanwhile."""
        async with race.maker() as holder:  # type: ignore[operator]
            await next_number(holder, "contract", on=date(RACE_YEAR, 6, 1))
            quote = await _without_waiting(race, race.client.post(
                QUOTES, headers=race.rep, json=race.quote()))
            assert quote.status_code == 201, quote.text
            race.stop_clock(RACE_YEAR + 1)
            next_year = await _without_waiting(race, race.client.post(
                CONTRACTS, headers=race.rep, json=race.contract()))
            assert next_year.status_code == 201, next_year.text
            assert next_year.json()["number"].startswith(f"HT-{RACE_YEAR + 1}-")
            await holder.rollback()

    @pytest.mark.skipif(not IS_POSTGRES, reason="on SQLite every writer queues, by design")
    async def test_the_same_kind_and_year_queue_and_a_rollback_hands_the_number_on(self, race):
        """While a transaction holds RACE_YEAR's contract counter, a contract creation waits
        for it; when that transaction rolls back, the waiting creation gets the very number
        it had taken."""
        async with race.maker() as holder:  # type: ignore[operator]
            taken = await next_number(holder, "contract", on=date(RACE_YEAR, 6, 1))
            creation = asyncio.create_task(race.client.post(CONTRACTS, headers=race.rep,
                                                            json=race.contract()))
            while not await _someone_waits_for_a_lock(race):
                assert not creation.done(), "the creation did not wait for the counter"
                await asyncio.sleep(0.01)
            await holder.rollback()
        created = await creation
        assert created.status_code == 201, created.text
        assert created.json()["number"] == taken


async def _someone_waits_for_a_lock(race: Race) -> bool:
    async with race.maker() as session:  # type: ignore[operator]
        return bool(await session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")))


async def _without_waiting(race: Race, request) -> httpx.Response:  # type: ignore[no-untyped-def]
    """The request's answer; fails as soon as the database shows it waiting for a lock
    (rather than hanging until the holder lets go, which it never would)."""
    task = asyncio.ensure_future(request)
    while not task.done():
        if await _someone_waits_for_a_lock(race):
            task.cancel()
            raise AssertionError("the request waited for the held counter's lock")
        await asyncio.sleep(0.01)
    return task.result()
