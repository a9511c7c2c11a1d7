"""The rules an approval chain's resolution fired, as codes with parameters, and their
rendering in the reader's language from the message catalogue (app/core/messages.py).

A request stores its rules as `{"code", "params"}`; a read adds `message`, rendered in the
caller's language, so a UI may show the message or render the code itself. In Chinese the
roles, conditions and the default policy's stage names read as their labels; English
renders exactly the sentences the service wrote before rules had codes.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.core.i18n import Language, current_language
from app.core.messages import (
    BOUNDS,
    CONDITIONS,
    NO_ONE,
    ROLES,
    RULES,
    STAGE_TIER,
    STAGES,
    fill,
)

Param = str | int | None


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired or was skipped: a code and its parameters (decimal strings for
    amounts and percentages, `low`/`high` for the bounds of a tier or band)."""

    code: str
    params: dict[str, Param] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}

    @classmethod
    def from_stored(cls, value: Any) -> "FiredRule":
        if isinstance(value, str):  # written before the data migration; none should remain
            return cls("legacy", {"text": value})
        return cls(str(value["code"]), dict(value.get("params") or {}))


def render_rule(rule: FiredRule, language: Language | None = None) -> str:
    """The rule as a sentence in `language` (the caller's by default)."""
    language = language or current_language()
    template = RULES.get(rule.code)
    if template is None:
        return rule.code
    params = dict(rule.params)
    # Amounts read with thousands separators, percentages with a unit (in the bound).
    money = rule.code.startswith("tier.")
    if "amount" in params:
        params["amount"] = _money(params["amount"])
    if "high" in params or "low" in params:
        params["bound"] = _bound(params.get("low"), params.get("high"), money, language)
    if "role" in params:
        role = params["role"]
        params["role"] = (NO_ONE(language) if role is None
                          else ROLES[str(role)](language) if language == "zh-CN" and role in ROLES
                          else role)
    if "stage" in params and language == "zh-CN":
        params["stage"] = stage_label(str(params["stage"]), language)
    if "when" in params and language == "zh-CN" and params["when"] in CONDITIONS:
        params["when"] = CONDITIONS[str(params["when"])](language)
    return fill(template(language), params, language) or template(language)


_TIERED_STAGE = re.compile(r"(?P<stage>[a-z_]+)_(?P<tier>[1-9][0-9]?)")


def stage_label(name: str, language: Language | None = None) -> str:
    """A stage's name as a person reads it: the default policy's names (a cumulative tier's
    `authority_2` too) by their labels in `language`; a policy's own names as written."""
    language = language or current_language()
    if name in STAGES:
        return STAGES[name](language)
    tiered = _TIERED_STAGE.fullmatch(name)
    if tiered and tiered["stage"] in STAGES:
        return STAGE_TIER(language).format(stage=STAGES[tiered["stage"]](language),
                                           tier=tiered["tier"])
    return name


def _money(value: Param) -> str:
    return f"{Decimal(str(value)):,.2f}"


def _bound(low: Param, high: Param, money: bool, language: Language) -> str:
    def shown(value: Param) -> str:
        return _money(value) if money else f"{Decimal(str(value)):.2f} %"

    kind = "up_to" if low is None else "above" if high is None else "between"
    values = {"low": shown(low) if low is not None else "",
              "high": shown(high) if high is not None else ""}
    return fill(BOUNDS[kind](language), values, language) or ""
