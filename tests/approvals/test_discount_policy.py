"""The discount bands of SPEC §2.1 as policy data: ≤ 5 % none, ≤ 15 % dept_head, ≤ 25 %
deputy_gm, above (or any line below its floor price) gm; bounds inclusive."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from app.approvals.policy import (
    BELOW_FLOOR,
    DEFAULT_POLICY,
    DocumentFacts,
    PolicyDocument,
    StageRule,
    resolve,
)
from app.approvals.rules import render_rule


def _chain(percent: str, *, below_floor: bool = False) -> list[list[str]]:
    facts = DocumentFacts(policy_key="quote_discount", amount=Decimal("1000.00"),
                          department_id="east", discount_percent=Decimal(percent),
                          flags=frozenset({BELOW_FLOOR}) if below_floor else frozenset())
    return [[step.role.value for step in stage.steps]
            for stage in resolve(DEFAULT_POLICY, facts).stages]


@pytest.mark.parametrize(("percent", "chain"), [
    ("0.00", []), ("5.00", []), ("5.01", [["dept_head"]]), ("15.00", [["dept_head"]]),
    ("15.01", [["deputy_gm"]]), ("25.00", [["deputy_gm"]]), ("25.01", [["gm"]]),
    ("100.00", [["gm"]]),
])
def test_bands_at_their_edges(percent, chain):
    assert _chain(percent) == chain


@pytest.mark.parametrize("percent", ["0.00", "12.00", "30.00"])
def test_a_line_below_its_floor_goes_to_the_gm_whatever_the_discount(percent):
    assert _chain(percent, below_floor=True) == [["gm"]]


def test_the_rules_say_why():
    facts = DocumentFacts(policy_key="quote_discount", amount=Decimal("1"), department_id="east",
                          discount_percent=Decimal("12.50"))
    resolution = resolve(DEFAULT_POLICY, facts)
    assert [render_rule(r, "en") for r in resolution.fired_rules] == [
        "discount 12.50 % is in band 2 (> 5.00 % and ≤ 15.00 %): dept_head approves"]
    [stage] = resolution.stages
    assert stage.steps[0].department_id == "east" and stage.steps[0].rule == render_rule(
        resolution.fired_rules[0], "en")
    within = resolve(DEFAULT_POLICY, DocumentFacts(
        policy_key="quote_discount", amount=Decimal("1"), department_id="east",
        discount_percent=Decimal("5.00")))
    assert within.stages == [] and [render_rule(r, "en") for r in within.fired_rules] == [
        "discount 5.00 % is within the rep's authority (≤ 5.00 %)"]


def test_a_stage_needs_steps_a_tier_or_a_band():
    with pytest.raises(ValidationError, match="neither tiered nor banded"):
        StageRule(name="empty")
    assert StageRule(name="discount", banded=True).banded


def test_the_default_policy_round_trips_with_its_quote_entry():
    document = DEFAULT_POLICY.model_dump(mode="json")
    assert document["documents"]["quote_discount"]["stages"][0]["banded"] is True
    assert PolicyDocument.model_validate(document) == DEFAULT_POLICY
