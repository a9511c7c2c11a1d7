"""exact decimals on sqlite

On SQLite every decimal column (money, exchange rates, quantities, prices, percents, tax
rates) now holds the value times 10^scale as an INTEGER (fen for money), which the app's
ExactDecimal type writes and reads; before, SQLite kept a REAL of about 15 significant
digits. This converts the values already there. The declared types stay NUMERIC(p, s), so
the schema, and PostgreSQL (where NUMERIC is exact and nothing changes), are untouched:
no table has to be rebuilt in batch mode.

A REAL holds any value of up to 15 significant digits closely enough that rounding it
times 10^scale to an integer gives that value back exactly; digits beyond those were
already lost when it was written, and stay lost.

Revision ID: 1b736880f8be
Revises: 87014a069014
Create Date: 2026-12-01 03:13:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '1b736880f8be'
down_revision: str | Sequence[str] | None = '87014a069014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = 2
# Every decimal column at this revision, with its scale.
SCALES: dict[str, dict[str, int]] = {
    'product': {'list_price': MONEY, 'floor_price': MONEY, 'tax_rate': 4},
    'customer': {'credit_limit': MONEY},
    'approval_request': {'amount': MONEY},
    'opportunity': {'expected_amount': MONEY, 'won_amount': MONEY},
    'quote': {'exchange_rate': 6, 'subtotal': MONEY, 'tax_total': MONEY, 'total': MONEY,
              'total_base': MONEY, 'max_discount_percent': 2},
    'quote_line': {'quantity': 3, 'list_price': 4, 'unit_price': 4, 'discount_percent': 2,
                   'effective_discount_percent': 2, 'floor_price': MONEY, 'tax_rate': 4,
                   'net_amount': MONEY, 'tax_amount': MONEY, 'total_amount': MONEY},
    'contract': {'exchange_rate': 6, 'subtotal': MONEY, 'tax_total': MONEY, 'total': MONEY,
                 'total_base': MONEY},
    'contract_line': {'quantity': 3, 'unit_price': 4, 'discount_percent': 2, 'tax_rate': 4,
                      'net_amount': MONEY, 'tax_amount': MONEY, 'total_amount': MONEY},
}


def _on_sqlite() -> bool:
    return op.get_context().dialect.name == 'sqlite'


def upgrade() -> None:
    if not _on_sqlite():
        return
    for table, columns in SCALES.items():
        assignments = ', '.join(f'{column} = CAST(ROUND({column} * {10 ** scale}) AS INTEGER)'
                                for column, scale in columns.items())
        op.execute(f'UPDATE {table} SET {assignments}')


def downgrade() -> None:
    if not _on_sqlite():
        return
    for table, columns in SCALES.items():
        assignments = ', '.join(f'{column} = {column} / {10 ** scale}.0'
                                for column, scale in columns.items())
        op.execute(f'UPDATE {table} SET {assignments}')
