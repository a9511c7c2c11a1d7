"""Likely duplicate customers, found as leads are (SPEC §3): the same company name without
its legal form, or a contact with the same normalised phone or e-mail.

Every comparison is an equality on an indexed key: `customer.name_key`, and the
`customer_contact_key` rows kept beside the contacts' JSON. A duplicate check is a few
index lookups however many customers there are, and warns, never refuses (only the credit
code is unique)."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    delete,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from app.core.normalise import InvalidPhone, normalise_email, normalise_phone
from app.customers.models import ContactKeyKind, Customer, CustomerContactKey

DUPLICATE_LIMIT = 20
Keys = frozenset[tuple[ContactKeyKind, str]]

_CUSTOMER = Customer.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare it
_KEY = CustomerContactKey.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Duplicate:
    id: int
    matched_on: list[str]
    owner_id: str
    department_id: str
    created_at: datetime


def contact_keys(contacts: list[dict[str, Any]]) -> Keys:
    """The keys of stored contacts: each normalised phone (E.164) and e-mail once. A phone
    kept as it was because it could not be normalised (written before normalisation) is no
    key: it would match nothing."""
    keys: set[tuple[ContactKeyKind, str]] = set()
    for contact in contacts:
        if (phone := contact.get("phone")) and phone.startswith("+"):
            keys.add((ContactKeyKind.phone, phone))
        if email := contact.get("email"):
            keys.add((ContactKeyKind.email, email))
    return frozenset(keys)


async def write_keys(session: AsyncSession, customer_id: int, keys: Keys,
                     *, replace: bool = False) -> None:
    """Store a customer's contact keys (replacing the ones it had), in the caller's unit of
    work."""
    if replace:
        await session.execute(delete(CustomerContactKey).where(
            _KEY.customer_id == customer_id))
    if keys:
        await session.execute(insert(CustomerContactKey), [
            {"kind": kind, "value": value, "customer_id": customer_id}
            for kind, value in sorted(keys)])


async def stored_keys(session: AsyncSession, customer_id: int) -> Keys:
    rows = await session.execute(select(_KEY.kind, _KEY.value).where(
        _KEY.customer_id == customer_id))
    return frozenset((ContactKeyKind(kind), value) for kind, value in rows.all())


@cache
def duplicates_query(*, excluding: bool) -> Select[Any]:
    """Built once with bound parameters (it runs on every customer created): each branch of
    the union is an equality on an index; the newest DUPLICATE_LIMIT customers matched are
    kept, with every way each one matched."""
    matches = union_all(
        select(_CUSTOMER.id.label("customer_id"),
               literal("name", type_=String).label("matched_on"))
        .where(_CUSTOMER.name_key == bindparam("name_key")),
        select(_KEY.customer_id, _KEY.kind).where(
            _KEY.kind == ContactKeyKind.phone.value,
            _KEY.value.in_(bindparam("phones", expanding=True))),
        select(_KEY.customer_id, _KEY.kind).where(
            _KEY.kind == ContactKeyKind.email.value,
            _KEY.value.in_(bindparam("emails", expanding=True))),
    ).cte("duplicate_match")
    newest = select(matches.c.customer_id).distinct()
    if excluding:
        newest = newest.where(matches.c.customer_id != bindparam("customer_id"))
    top = newest.order_by(matches.c.customer_id.desc()).limit(DUPLICATE_LIMIT).cte(
        "duplicate_top")
    return (select(_CUSTOMER.id, _CUSTOMER.owner_id, _CUSTOMER.department_id,
                   _CUSTOMER.created_at, matches.c.matched_on)
            .join(top, top.c.customer_id == _CUSTOMER.id)
            .join(matches, matches.c.customer_id == _CUSTOMER.id)
            .order_by(_CUSTOMER.id.desc()))


def duplicates_params(*, name_key: str, keys: Keys,
                      customer_id: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name_key": name_key,
        "phones": sorted(v for k, v in keys if k == ContactKeyKind.phone),
        "emails": sorted(v for k, v in keys if k == ContactKeyKind.email)}
    if customer_id is not None:
        params["customer_id"] = customer_id
    return params


async def find_duplicates(session: AsyncSession, *, name_key: str, keys: Keys,
                          customer_id: int | None = None) -> list[Duplicate]:
    """Other customers with this name key or any of these contact keys, newest first
    (`customer_id`: the customer itself, left out)."""
    statement = duplicates_query(excluding=customer_id is not None)
    params = duplicates_params(name_key=name_key, keys=keys, customer_id=customer_id)
    found: dict[int, Duplicate] = {}
    for row in (await session.execute(statement, params)).all():
        duplicate = found.setdefault(row.id, Duplicate(
            id=row.id, matched_on=[], owner_id=row.owner_id, department_id=row.department_id,
            created_at=row.created_at))
        if row.matched_on not in duplicate.matched_on:
            duplicate.matched_on.append(row.matched_on)
    for duplicate in found.values():
        duplicate.matched_on.sort(key=["name", "phone", "email"].index)
    return list(found.values())


def search_clauses(q: str) -> list[ColumnElement[bool]]:
    """What `?q=` also finds besides the name, when the text is one: a credit code (the
    unique index), a phone number or an e-mail address (the contact keys)."""
    clauses: list[ColumnElement[bool]] = []
    code = uscc.compact(q)
    if uscc.is_valid(code):
        clauses.append(_CUSTOMER.credit_code == code)
    if "@" in q:
        clauses.append(_by_key(ContactKeyKind.email, normalise_email(q)))
    else:
        try:
            clauses.append(_by_key(ContactKeyKind.phone, normalise_phone(q).e164))
        except InvalidPhone:
            pass
    return clauses


def _by_key(kind: ContactKeyKind, value: str) -> ColumnElement[bool]:
    return _CUSTOMER.id.in_(select(_KEY.customer_id).where(_KEY.kind == kind.value,
                                                           _KEY.value == value))

