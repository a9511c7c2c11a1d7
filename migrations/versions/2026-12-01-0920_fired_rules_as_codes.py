"""approval fired rules as codes with parameters

`approval_request.fired_rules` held English sentences; it now holds
`{"code", "params"}` objects (app/approvals/rules.py) that reads render in the caller's
language (zh-CN or en). The column stays JSON: this is a data migration. Each stored
sentence is parsed back into its code and parameters; a sentence no pattern recognises is
kept whole as `{"code": "legacy", "params": {"text": ...}}`, which renders as itself.
Downgrade writes the English sentences back.

The patterns and templates are copied here, not imported, so this migration keeps meaning
what it meant when later code changes the catalogue.

Revision ID: 5e0c1f7a9b21
Revises: 098e123b2347
Create Date: 2026-12-01 09:20:00.000000+00:00
"""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '5e0c1f7a9b21'
down_revision: str | Sequence[str] | None = '098e123b2347'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

approval_request = sa.table(
    "approval_request", sa.column("id", sa.Integer), sa.column("fired_rules", sa.JSON))

_NUMBER = r"[\d,]+\.\d+"
_BOUND = (rf"(?:≤ (?P<high>{_NUMBER})(?: %)?|> (?P<low>{_NUMBER})(?: %)?"
          rf"(?: and ≤ (?P<high2>{_NUMBER})(?: %)?)?)")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("stage.skipped", re.compile(
        r"^stage '(?P<stage>.+)' skipped: applies only when '(?P<when>[a-z_]+)' is set$")),
    ("stage.added", re.compile(r"^stage '(?P<stage>.+)' added: '(?P<when>[a-z_]+)' is set$")),
    ("band.none", re.compile(r"^the policy has no discount bands: no discount approval$")),
    ("band.below_floor", re.compile(
        r"^a line is priced below its product's floor price: (?P<role>[a-z_]+|no one) "
        r"approves, as for a discount above every band$")),
    ("band.within_authority", re.compile(
        rf"^discount (?P<percent>{_NUMBER}) % is within the rep's authority \({_BOUND}\)$")),
    ("band.selected", re.compile(
        rf"^discount (?P<percent>{_NUMBER}) % is in band (?P<band>\d+) \({_BOUND}\): "
        r"(?P<role>[a-z_]+) approves$")),
    ("tier.selected", re.compile(
        rf"^amount (?P<amount>{_NUMBER}) is in tier (?P<tier>\d+) \({_BOUND}\): "
        r"(?P<role>[a-z_]+) approves$")),
    ("tier.cumulative", re.compile(
        rf"^cumulative tiers: tier (?P<tier>\d+) signs before tier (?P<reached>\d+) "
        rf"\({_BOUND}\): (?P<role>[a-z_]+) approves$")),
]
_BOUNDED = ("band.within_authority", "band.selected", "tier.selected", "tier.cumulative")


def parse(sentence: str) -> dict[str, Any]:
    for code, pattern in _PATTERNS:
        match = pattern.match(sentence)
        if match is None:
            continue
        found = {k: v for k, v in match.groupdict().items() if v is not None}
        params: dict[str, Any] = {}
        for key in ("stage", "when", "amount", "percent"):
            if key in found:
                params[key] = found[key].replace(",", "") if key in ("amount", "percent") \
                    else found[key]
        for key in ("tier", "reached", "band"):
            if key in found:
                params[key] = int(found[key])
        if code in _BOUNDED:
            high = found.get("high") or found.get("high2")
            params["low"] = found["low"].replace(",", "") if "low" in found else None
            params["high"] = high.replace(",", "") if high else None
        if "role" in found:
            params["role"] = None if found["role"] == "no one" else found["role"]
        return {"code": code, "params": params}
    return {"code": "legacy", "params": {"text": sentence}}


_TEMPLATES = {
    "stage.skipped": "stage '{stage}' skipped: applies only when '{when}' is set",
    "stage.added": "stage '{stage}' added: '{when}' is set",
    "band.none": "the policy has no discount bands: no discount approval",
    "band.below_floor": "a line is priced below its product's floor price: {role} approves, "
                        "as for a discount above every band",
    "band.within_authority": "discount {percent} % is within the rep's authority ({bound})",
    "band.selected": "discount {percent} % is in band {band} ({bound}): {role} approves",
    "tier.selected": "amount {amount} is in tier {tier} ({bound}): {role} approves",
    "tier.cumulative": "cumulative tiers: tier {tier} signs before tier {reached} ({bound}): "
                       "{role} approves",
    "legacy": "{text}",
}


def render(rule: Any) -> str:
    if isinstance(rule, str):
        return rule
    code, params = rule["code"], dict(rule.get("params") or {})
    money = code.startswith("tier.")

    def shown(value: str) -> str:
        return f"{Decimal(value):,.2f}" if money else f"{Decimal(value):.2f} %"

    if "amount" in params:
        params["amount"] = f"{Decimal(params['amount']):,.2f}"
    if code in _BOUNDED:
        low, high = params.get("low"), params.get("high")
        params["bound"] = (f"≤ {shown(high)}" if low is None else f"> {shown(low)}"
                           if high is None else f"> {shown(low)} and ≤ {shown(high)}")
    if "role" in params and params["role"] is None:
        params["role"] = "no one"
    return _TEMPLATES.get(code, code).format(**params)


def _rewrite(convert: Any) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(approval_request.c.id, approval_request.c.fired_rules))
    for row_id, rules in rows.all():
        converted = [convert(rule) for rule in rules or []]
        if converted != rules:
            connection.execute(approval_request.update()
                               .where(approval_request.c.id == row_id)
                               .values(fired_rules=converted))


def upgrade() -> None:
    _rewrite(lambda rule: parse(rule) if isinstance(rule, str) else rule)


def downgrade() -> None:
    _rewrite(render)
