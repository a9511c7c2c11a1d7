"""Likely duplicate customers, found as leads are (SPEC §3): the same company name without
its legal form, or a contact with the same normalised phone or e-mail.

Every comparison is an equality on the `customer_key` index, so a duplicate check is a few
index lookups however many customers there are. Duplicates are warned of, never refused
(only the credit code is unique)."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from app.core.normalise import InvalidPhone, company_key, normalise_email, normalise_phone
from app.customers.models import Customer, CustomerKey, KeyKind

DUPLICATE_LIMIT = 20
Keys = frozenset[tuple[KeyKind, str]]
MATCH_ORDER = [KeyKind.name, KeyKind.phone, KeyKind.email]

_CUSTOMER = Customer.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare it
_KEY = CustomerKey.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Duplicate:
    id: int
    matched_on: list[KeyKind]
    owner_id: str
    department_id: str
    created_at: datetime


def customer_keys(name: str, contacts: list[dict[str, Any]]) -> Keys:
    """The keys of a customer as stored: its name key, and each normalised phone (E.164)
    and e-mail of its contacts once. A phone kept as it was because it could not be
    normalised (written before normalisation) is no key: it would match nothing."""
    keys = {(KeyKind.name, company_key(name))}
    for contact in contacts:
        if (phone := contact.get("phone")) and _is_normalised(phone):
            keys.add((KeyKind.phone, phone))
        if email := contact.get("email"):
            keys.add((KeyKind.email, email))
    return frozenset(keys)


def _is_normalised(phone: str) -> bool:
    try:
        return normalise_phone(phone).e164 == phone
    except InvalidPhone:
        return False


async def write_keys(session: AsyncSession, customer_id: int, keys: Keys,
                     *, replace: bool = False) -> None:
    """Store a customer's keys (replacing the ones it had), in the caller's unit of work."""
    if replace:
        await session.execute(delete(CustomerKey).where(_KEY.customer_id == customer_id))
    await session.execute(insert(CustomerKey), [
        {"kind": kind.value, "value": value, "customer_id": customer_id}
        for kind, value in sorted(keys)])


async def stored_keys(session: AsyncSession, customer_id: int) -> Keys:
    rows = await session.execute(select(_KEY.kind, _KEY.value).where(
        _KEY.customer_id == customer_id))
    return frozenset((KeyKind(kind), value) for kind, value in rows.all())


@cache
def duplicates_query(*, excluding: bool) -> Select[Any]:
    """Built once with bound parameters (it runs on every customer created): each branch of
    the union is an equality on the key index; the newest DUPLICATE_LIMIT customers matched
    are kept, with every way each one matched."""
    matches = union_all(*(
        select(_KEY.customer_id, _KEY.kind).where(
            _KEY.kind == kind.value, _KEY.value.in_(bindparam(kind.value, expanding=True)))
        for kind in MATCH_ORDER)).cte("duplicate_match")
    newest = select(matches.c.customer_id).distinct()
    if excluding:
        newest = newest.where(matches.c.customer_id != bindparam("customer_id"))
    top = newest.order_by(matches.c.customer_id.desc()).limit(DUPLICATE_LIMIT).cte(
        "duplicate_top")
    return (select(_CUSTOMER.id, _CUSTOMER.owner_id, _CUSTOMER.department_id,
                   _CUSTOMER.created_at, matches.c.kind)
            .join(top, top.c.customer_id == _CUSTOMER.id)
            .join(matches, matches.c.customer_id == _CUSTOMER.id)
            .order_by(_CUSTOMER.id.desc()))


def duplicates_params(keys: Keys, customer_id: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {kind.value: sorted(v for k, v in keys if k == kind)
                              for kind in MATCH_ORDER}
    if customer_id is not None:
        params["customer_id"] = customer_id
    return params


async def find_duplicates(session: AsyncSession, keys: Keys,
                          customer_id: int | None = None) -> list[Duplicate]:
    """Other customers sharing any of these keys, newest first (`customer_id`: the
    customer itself, left out)."""
    statement = duplicates_query(excluding=customer_id is not None)
    found: dict[int, Duplicate] = {}
    for row in (await session.execute(statement, duplicates_params(keys, customer_id))).all():
        duplicate = found.setdefault(row.id, Duplicate(
            id=row.id, matched_on=[], owner_id=row.owner_id, department_id=row.department_id,
            created_at=row.created_at))
        if (kind := KeyKind(row.kind)) not in duplicate.matched_on:
            duplicate.matched_on.append(kind)
    for duplicate in found.values():
        duplicate.matched_on.sort(key=MATCH_ORDER.index)
    return list(found.values())


def search_clauses(q: str) -> list[ColumnElement[bool]]:
    """What `?q=` also finds besides a part of the name, when the text is one: a credit
    code (its unique index), a phone number or an e-mail address (the contact keys)."""
    clauses: list[ColumnElement[bool]] = []
    if uscc.is_valid(code := uscc.compact(q)):
        clauses.append(_CUSTOMER.credit_code == code)
    if "@" in q:
        clauses.append(_with_key(KeyKind.email, normalise_email(q)))
    else:
        try:
            clauses.append(_with_key(KeyKind.phone, normalise_phone(q).e164))
        except InvalidPhone:
            pass
    return clauses


def _with_key(kind: KeyKind, value: str) -> ColumnElement[bool]:
    return _CUSTOMER.id.in_(select(_KEY.customer_id).where(_KEY.kind == kind.value,
                                                           _KEY.value == value))
