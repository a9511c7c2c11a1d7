"""customer duplicate keys and normalised contacts

Customers are now checked for duplicates on create, as leads are: by company name without
its legal form, and by any contact's phone or e-mail. Each of those keys is a row of the new
table `customer_key` (kind, value, customer), looked up by its primary key: the contacts
sit in a JSON column that SQLite and PostgreSQL cannot index alike. Contacts are stored the
way lead contacts are: phone in E.164 with the extension in `phone_extension`, e-mail in
lower case.

This writes the keys of the customers already there, and normalises their contacts. The
rules are those of `app.core.normalise` as of this revision, copied below rather than
imported: a migration must give the same result whenever it runs, and the app's rules may
change later (with a migration of their own). What cannot be normalised is left as it was:
a phone in a form the rules do not recognise keeps its text and gets no key (it matches no
other customer until someone corrects it; the API asks for a valid number when the
contacts are next edited); a blank phone or e-mail becomes null.

The customer table itself keeps its structure: on SQLite, changing it would rebuild it in
batch mode, which the rows of other tables that reference customers forbid.

Downgrade drops the keys and puts each extension back after its number
(`+862155550000-8021`, as lead conversion used to write it); the numbers stay in E.164,
which the previous release accepts and shows as they are.

Revision ID: fc392df2c800
Revises: 41b312c5483c
Create Date: 2026-12-01 05:07:33.696404+00:00
"""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'fc392df2c800'
down_revision: str | Sequence[str] | None = '41b312c5483c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

customer = sa.table('customer', sa.column('id', sa.Integer), sa.column('name', sa.String),
                    sa.column('contacts', sa.JSON))
customer_key = sa.table('customer_key', sa.column('kind', sa.String),
                        sa.column('value', sa.String), sa.column('customer_id', sa.Integer))


def upgrade() -> None:
    op.create_table(
        'customer_key',
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('value', sa.String(length=254), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('name', 'phone', 'email')",
                           name=op.f('ck_customer_key_kind')),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'],
                                name=op.f('fk_customer_key_customer_id_customer'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('kind', 'value', 'customer_id', name=op.f('pk_customer_key')))
    with op.batch_alter_table('customer_key', schema=None) as batch_op:
        batch_op.create_index('ix_customer_key_customer_id', ['customer_id'], unique=False)

    connection = op.get_bind()
    for rows in _batches(connection):
        keys: list[dict[str, Any]] = []
        for row in rows:
            normalised = [_normalised_contact(c) for c in row.contacts or []]
            contacts = [contact for contact, _ in normalised]
            if contacts != (row.contacts or []):
                connection.execute(customer.update().where(customer.c.id == row.id)
                                   .values(contacts=contacts))
            found = ({('name', _company_key(row.name))}
                     | {('phone', phone) for _, phone in normalised if phone}
                     | {('email', c['email']) for c in contacts if c['email']})
            keys += [{'kind': kind, 'value': value, 'customer_id': row.id}
                     for kind, value in sorted(found)]
        connection.execute(customer_key.insert(), keys)


def downgrade() -> None:
    connection = op.get_bind()
    for rows in _batches(connection):
        for row in rows:
            contacts = [_with_extension_inline(c) for c in row.contacts or []]
            if contacts != (row.contacts or []):
                connection.execute(customer.update().where(customer.c.id == row.id)
                                   .values(contacts=contacts))
    with op.batch_alter_table('customer_key', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_key_customer_id')
    op.drop_table('customer_key')


def _batches(connection: sa.Connection) -> Iterator[list[Any]]:
    """Every customer, a batch at a time in id order (memory stays flat on a big table)."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(customer.c.id, customer.c.name, customer.c.contacts)
            .where(customer.c.id > last).order_by(customer.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield list(rows)
        last = rows[-1].id


def _normalised_contact(contact: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The contact as the app now stores it, and its phone key (None when the phone could
    not be normalised and keeps its text)."""
    # Every field present, as the app writes them (a contact written without its title
    # otherwise differs from the same contact sent again).
    result = dict(contact) | {'title': contact.get('title'), 'phone': None,
                              'phone_extension': None}
    phone_key = None
    if (contact.get('phone') or '').strip():
        try:
            phone_key, result['phone_extension'] = _normalise_phone(contact['phone'])
        except ValueError:
            result['phone'] = contact['phone']  # left as it was
        else:
            result['phone'] = phone_key
    result['email'] = (contact.get('email') or '').strip().lower() or None
    return result, phone_key


def _with_extension_inline(contact: dict[str, Any]) -> dict[str, Any]:
    result = dict(contact)
    extension = result.pop('phone_extension', None)
    if extension and result.get('phone'):
        result['phone'] = f"{result['phone']}-{extension}"
    return result


# ---- app.core.normalise as of this revision (see the docstring) ---------------------------

_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"^\(?\+?[0-9\s\-().]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SERVICE = re.compile(r"^[48]00\d{7}$")
_LANDLINE = re.compile(r"^(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})$")
_CHINA = "86"
_LEGAL_WORDS = frozenset({"co", "company", "corp", "corporation", "inc", "incorporated", "ltd",
                          "limited", "llc", "plc", "gmbh", "ag", "sa"})
_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def _normalise_phone(raw: str) -> tuple[str, str | None]:
    """(E.164, extension), or ValueError."""
    text = unicodedata.normalize("NFKC", raw).strip()
    extension = None
    if match := _EXTENSION.search(text):
        extension, text = match.group(1), text[:match.start()].strip()
    if not _PHONE_CHARACTERS.match(text):
        raise ValueError(raw)
    digits = re.sub(r"\D", "", text)
    if text.lstrip("(").startswith("+") or digits.startswith("00"):
        international = digits[2:] if digits.startswith("00") else digits
        if international.startswith(_CHINA):
            national = international[len(_CHINA):].removeprefix("0")
            return "+" + _CHINA + _chinese(national, raw), extension
        if not 8 <= len(international) <= 15 or international.startswith("0"):
            raise ValueError(raw)
        return "+" + international, extension
    if len(digits) == 13 and digits.startswith(_CHINA) and _MOBILE.match(digits[2:]):
        return "+" + digits, extension
    if digits.startswith("0"):
        if not _LANDLINE.match(digits[1:]):
            raise ValueError(raw)
        return "+" + _CHINA + digits[1:], extension
    return "+" + _CHINA + _chinese(digits, raw), extension


def _chinese(significant: str, raw: str) -> str:
    if _MOBILE.match(significant) or _SERVICE.match(significant) or _LANDLINE.match(significant):
        return significant
    raise ValueError(raw)


def _company_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    words = [w for w in re.split(r"[\W_]+", text) if w]
    while len(words) > 1 and words[-1] in _LEGAL_WORDS:
        words.pop()
    key = "".join(words)
    for suffix in _LEGAL_SUFFIXES:
        if key.endswith(suffix):
            if len(key) > len(suffix):
                key = key[:-len(suffix)]
            break
    return key[:200] or text[:200]
