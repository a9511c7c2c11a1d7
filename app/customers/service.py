from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, String, column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.core.db import commit, commit_or_raise, flush_or_raise
from app.core.filters import where_equal, where_range
from app.core.normalise import normalise_email, normalise_phone
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, Role, can, may_assign, require, visible
from app.core.schemas import snapshot
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.customers.duplicates import (
    Duplicate,
    customer_keys,
    find_duplicates,
    search_clauses,
    stored_keys,
    write_keys,
)
from app.customers.errors import (
    CreditTermsForbidden,
    CustomerInUse,
    CustomerNotFound,
    DuplicateCreditCode,
    OwnerRequired,
    OwnershipForbidden,
    UnknownDepartment,
)
from app.customers.models import CreditRating, Customer
from app.customers.schemas import Contact, CustomerCreate, CustomerRead, CustomerUpdate
from app.departments.service import insert_into_active_department, is_active
from app.events.changes import record_change

ENTITY = "customer"
CREDIT_FIELDS = ("credit_rating", "credit_limit", "payment_terms_days")
OWNERSHIP_FIELDS = ("owner_id", "department_id")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Customer.owner_id,
                   department_column=Customer.department_id)


SORTS = Sorts("Customer", {
    "created_at": col(Customer.created_at), "updated_at": col(Customer.updated_at),
    "name": col(Customer.name), "credit_limit": col(Customer.credit_limit),
}, tiebreaker=col(Customer.id))


async def list_customers(
    session: AsyncSession, principal: Principal, *, owner_id: str | None,
    department_id: str | None, credit_rating: CreditRating | None,
    is_key_customer: bool | None, q: str | None, created_from: date | None = None,
    created_to: date | None = None, page: ListRequest,
) -> Listed[Customer]:
    statement = select(Customer).where(_visible(principal))
    statement = where_equal(statement, (col(Customer.owner_id), owner_id),
                            (col(Customer.department_id), department_id),
                            (col(Customer.credit_rating), credit_rating),
                            (col(Customer.is_key_customer), is_key_customer))
    statement = where_range(
        statement, col(Customer.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    if q:
        statement = statement.where(or_(
            text_contains(q, Customer.name),
            *search_clauses(q)))
    return await SORTS.page(session, statement, page)


# The row locks a command takes on a customer (PostgreSQL; SQLite has one writer at a time).
# Opportunities, quotes and contracts store their customer's name (for `?q=`): a command
# writing one reads the name under "share", and a rename holds "rename" from its start to
# its commit, having rewritten the stored names. The two conflict, so either the writer
# commits first and the rename's UPDATE (a later statement) finds its row, or the rename
# does and the writer reads the new name. Lock order, on both sides: the customer's row
# before any document's (a writer copying a quote or a contract locks the customer before
# that document, see `locked_name`), so neither holds what the other waits for. "rename" is
# FOR NO KEY UPDATE rather than FOR UPDATE: a foreign-key check's key-share lock does not
# wait for it, so a command holding a document that inserts a row of this customer (an
# order called off a contract) goes on while the rename waits for that document.
CustomerLock = Literal["delete", "rename", "share"]


def _locked(statement: Select[Any], lock: CustomerLock) -> Select[Any]:
    """FOR UPDATE to delete, FOR NO KEY UPDATE to rename (or edit), FOR SHARE to name."""
    return statement.with_for_update(read=lock == "share", key_share=lock == "rename")


async def get_visible(
    session: AsyncSession, principal: Principal, customer_id: int, *,
    lock: CustomerLock | None = None,
) -> Customer:
    """The customer if this principal may see it; 404 otherwise (existence is not revealed).
    `lock`: see CustomerLock; the row is then read afresh (not an older copy of the session's)."""
    statement = select(Customer).where(col(Customer.id) == customer_id, _visible(principal))
    if lock is not None:
        statement = _locked(statement, lock).execution_options(populate_existing=True)
    customer = (await session.execute(statement)).scalar_one_or_none()
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id}.")
    return customer


async def create(session: AsyncSession, principal: Principal, *, data: CustomerCreate
                 ) -> tuple[Customer, list[Duplicate]]:
    """Register a customer; likely duplicates are returned (and named in the event), never
    refused: the caller decides. Only the credit code is unique."""
    customer, duplicates = await add(session, principal, data=data)
    await commit_or_raise(session, _duplicate_code())
    return customer, duplicates


async def add(session: AsyncSession, principal: Principal, *, data: CustomerCreate
              ) -> tuple[Customer, list[Duplicate]]:
    """Register a customer inside the caller's unit of work (lead conversion uses it too);
    `create` is the command that commits."""
    require(principal, Capability.customer_create)
    values = data.model_dump(exclude_none=True)
    if any(field in values for field in CREDIT_FIELDS):
        require_credit_authority(principal)
    department_id = data.department_id or principal.dept
    owner_id = data.owner_id or (
        principal.sub if principal.has(Role.sales_rep, Role.dept_head) else None)
    if department_id is None or owner_id is None:
        raise OwnerRequired()
    _ensure_may_assign(principal, owner_id=owner_id, department_id=department_id)
    if data.credit_code:
        await _ensure_credit_code_free(session, data.credit_code)
    contacts = stored_contacts(data.contacts)
    customer = Customer(**values | {"owner_id": owner_id, "department_id": department_id,
                                    "contacts": contacts})
    keys = customer_keys(customer.name, contacts)
    duplicates = await find_duplicates(session, keys)
    customer.id = await insert_into_active_department(session, customer, _duplicate_code())
    if customer.id is None:
        raise UnknownDepartment(
            f"Department {customer.department_id!r} does not exist or is inactive.")
    await write_keys(session, customer.id, keys)
    after = snapshot(CustomerRead, customer)
    record_change(session, principal, event_type="customer.created", entity_type=ENTITY,
                  entity_id=customer.id, before=None, after=after,
                  event_data={**after, "duplicate_ids": [d.id for d in duplicates]})
    return customer, duplicates


async def duplicates_of(session: AsyncSession, principal: Principal, *, customer_id: int
                        ) -> list[Duplicate]:
    """Other customers that look like this one, as of now."""
    await get_visible(session, principal, customer_id)
    return await find_duplicates(session, await stored_keys(session, customer_id),
                                 customer_id=customer_id)


async def update(
    session: AsyncSession, principal: Principal, *, customer_id: int, data: CustomerUpdate,
    expected_version: int | None,
) -> Customer:
    customer = await get_visible(session, principal, customer_id, lock="rename")
    if not (can(principal, Capability.customer_update)
            or can(principal, Capability.customer_set_credit)):
        require(principal, Capability.customer_update)
    ensure_version(customer.version, expected_version)
    values = data.model_dump(exclude_unset=True)
    if data.contacts is not None:
        values["contacts"] = stored_contacts(data.contacts)
    changes = {k: v for k, v in values.items() if getattr(customer, k) != v}
    if not changes:
        return customer
    if changes.keys() - CREDIT_FIELDS:
        require(principal, Capability.customer_update)
    if any(field in changes for field in CREDIT_FIELDS):
        require_credit_authority(principal)
    if any(field in changes for field in OWNERSHIP_FIELDS):
        if not can(principal, Capability.customer_assign_owner):
            raise OwnershipForbidden("Only a department head, deputy GM, GM or admin may "
                                     "reassign a customer.")
        department_id = changes.get("department_id", customer.department_id)
        _ensure_may_assign(principal, owner_id=changes.get("owner_id", customer.owner_id),
                           department_id=department_id)
        if "department_id" in changes:
            await _ensure_active_department(session, department_id)
    if changes.get("credit_code"):
        await _ensure_credit_code_free(session, changes["credit_code"])
    before = snapshot(CustomerRead, customer)
    apply_changes(customer, changes)
    assert customer.id is not None
    if "name" in changes or "contacts" in changes:
        await write_keys(session, customer.id, customer_keys(customer.name, customer.contacts),
                         replace=True)
    if "name" in changes:
        await _rename_documents(session, customer.id, customer.name)
    record_change(session, principal, event_type="customer.updated", entity_type=ENTITY,
                  entity_id=customer.id, before=before, after=snapshot(CustomerRead, customer))
    await commit_or_raise(session, _duplicate_code())
    return customer


async def delete(
    session: AsyncSession, principal: Principal, *, customer_id: int, expected_version: int | None
) -> None:
    customer = await get_visible(session, principal, customer_id, lock="delete")
    require(principal, Capability.customer_delete)
    ensure_version(customer.version, expected_version)
    before = snapshot(CustomerRead, customer)
    await session.delete(customer)
    await flush_or_raise(session, CustomerInUse(f"Customer {customer_id} has documents."))
    record_change(session, principal, event_type="customer.deleted", entity_type=ENTITY,
                  entity_id=customer_id, before=before, after=None)
    await commit(session)


def stored_contacts(contacts: list[Contact]) -> list[dict[str, Any]]:
    """Contacts as stored: phone in E.164 with its extension apart, e-mail in lower case
    (the schema has already refused what cannot be normalised)."""
    stored = []
    for contact in contacts:
        phone = normalise_phone(contact.phone) if contact.phone else None
        stored.append({"name": contact.name, "title": contact.title,
                       "phone": phone.e164 if phone else None,
                       "phone_extension": phone.extension if phone else None,
                       "email": normalise_email(contact.email) if contact.email else None})
    return stored


def require_credit_authority(principal: Principal) -> None:
    if not can(principal, Capability.customer_set_credit):
        raise CreditTermsForbidden()


def _ensure_may_assign(principal: Principal, *, owner_id: str, department_id: str) -> None:
    if not may_assign(principal, owner_id=owner_id, department_id=department_id):
        raise OwnershipForbidden(
            f"You may not assign a customer to {owner_id!r} in department {department_id!r}.")


async def _ensure_active_department(session: AsyncSession, department_id: str) -> None:
    if not await is_active(session, department_id):
        raise UnknownDepartment(f"Department {department_id!r} does not exist or is inactive.")


async def _ensure_credit_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(col(Customer.id)).where(col(Customer.credit_code) == code)):
        raise DuplicateCreditCode(f"Credit code {code} is already registered.")


def _duplicate_code() -> DuplicateCreditCode:
    # Two requests registering one credit code at once both pass the pre-check; the
    # unique index decides, and the loser gets the same 409 as a sequential duplicate.
    return DuplicateCreditCode("This credit code is already registered.")


async def locked_name(session: AsyncSession, customer_id: int | None) -> str | None:
    """The customer's name for a document about to be written from another one (a quote's
    revision, a contract from a quote, an amendment), read under the "share" lock, which
    the caller takes before locking that document (the order CustomerLock explains). None for no
    customer, so the caller reports the missing document as it does."""
    if customer_id is None:
        return None
    return await session.scalar(_locked(select(col(Customer.name)).where(
        col(Customer.id) == customer_id), "share"))


# The documents storing their customer's name, by name (their domains import this one).
_NAMED_DOCUMENTS = [table(name, column("id", Integer), column("customer_id", Integer),
                          column("customer_name", String))
                    for name in ("contract", "quote", "opportunity")]


async def _rename_documents(session: AsyncSession, customer_id: int, name: str) -> None:
    """The customer's documents take its new name, in the rename's transaction. Their rows
    are locked newest first, as a command locking two of one table does (signing an
    amendment locks it, then the revision it voids); no command locks rows of two of these
    tables but drafting a contract from a quote, which takes the customer's lock first.
    Executed on the connection, past the session's statement hooks: the funnel's rollup
    (app/leads/funnel_rollup.py) recounts the leads of any opportunities an UPDATE touches,
    and a name is none of its figures."""
    connection = await session.connection()
    for document in _NAMED_DOCUMENTS:
        newest_first = (select(document.c.id).where(document.c.customer_id == customer_id)
                        .order_by(document.c.id.desc()).with_for_update(key_share=True))
        await connection.execute(document.update().where(document.c.id.in_(newest_first))
                                 .values(customer_name=name))
