"""The approval policy (SPEC §2.1) as data, and its resolution into a chain.

A policy says, per document kind, which stages a request goes through; a stage is a set
of parallel steps, or the amount-tier approver(s), and may apply only when a flag is set.
Resolution turns a document's facts into concrete stages and steps, and records each
rule that fired or was skipped, and why — the same function serves submission and
preview, so a preview is exactly what submission will produce.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, model_validator

from app.approvals.rules import FiredRule, render_rule
from app.core.permissions import ROLE_CAPABILITIES, Capability, Role, Scope
from app.core.schemas import InputModel

TierMode = Literal["single", "cumulative"]
Condition = Literal["always", "major_interest", "credit_hold", "key_customer"]
# The states of a quote an order may be placed from directly, without a contract.
OrderableQuoteState = Literal["approved", "sent", "accepted"]

# Who an overdue step escalates to (SPEC §2: dept_head → deputy_gm → gm).
ESCALATION: dict[Role, Role | None] = {Role.dept_head: Role.deputy_gm, Role.deputy_gm: Role.gm,
                                       Role.gm: None}


def escalation_for(role: Role) -> Role | None:
    return ESCALATION.get(role, Role.gm)


def scope_for(role: Role) -> Scope:
    """Where a role decides: heads for the document's department, deputy GMs for the
    departments they oversee, everyone else company-wide."""
    if role == Role.dept_head:
        return Scope.department
    if role == Role.deputy_gm:
        return Scope.overseen
    return Scope.company


class _Strict(InputModel):
    model_config = ConfigDict(extra="forbid")


def _deciding(role: Role | None, info: ValidationInfo) -> Role | None:
    # A step for a role that may not decide approvals (auditor, integration) could never be
    # decided: its documents would wait forever. Refused when a policy is saved; a policy
    # saved before this rule existed still loads (STORED), so submissions keep working.
    if info.context == STORED:
        return role
    if role is not None and Capability.approval_decide not in ROLE_CAPABILITIES.get(role, ()):
        raise ValueError(f"the role {role.value!r} does not decide approvals")
    return role


STORED = {"stored": True}  # validation context: a policy read back from the database
DecidingRole = Annotated[Role, AfterValidator(_deciding)]


class StepRule(_Strict):
    role: DecidingRole
    quorum: int = Field(default=1, ge=1, le=20, description="Distinct approvals needed")
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 60)


class StageRule(_Strict):
    name: str = Field(min_length=1, max_length=40)
    steps: list[StepRule] = Field(default_factory=list, max_length=10)
    tiered: bool = Field(default=False, description="Add the amount-tier approver(s)")
    banded: bool = Field(default=False,
                         description="Add the discount-band approver (quotes); none within "
                                     "the rep's own authority")
    when: Condition = "always"
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _has_approvers(self) -> "StageRule":
        if not self.steps and not self.tiered and not self.banded:
            raise ValueError(f"stage {self.name!r} has no steps and is neither tiered nor "
                             "banded")
        return self


class Tier(_Strict):
    up_to: Decimal | None = Field(description="Inclusive upper bound; null for the last tier",
                                  ge=0, max_digits=18, decimal_places=2)
    role: DecidingRole


class DocumentRule(_Strict):
    stages: list[StageRule] = Field(max_length=10)
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 60)


class DiscountBand(_Strict):
    up_to_percent: Decimal | None = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    role: DecidingRole | None = Field(description="null: within the rep's own authority")


class PolicyDocument(_Strict):
    tier_mode: TierMode = "single"
    tiers: list[Tier] = Field(min_length=1, max_length=10)
    default_sla_hours: int = Field(default=48, ge=1, le=24 * 60)
    documents: dict[str, DocumentRule]
    discount_bands: list[DiscountBand] = Field(default_factory=list, max_length=10)
    # Not a chain but the company's rule for the same documents (SPEC §3 Order: "from an
    # approved quote when policy allows"), kept here so it is versioned and audited with
    # the rest; a policy saved before it existed gets the default.
    orders_from_quotes: list[OrderableQuoteState] = Field(
        default_factory=lambda: list[OrderableQuoteState](["accepted"]), max_length=3,
        description="Quote states a sales order may be placed from directly, without a "
                    "contract; empty: orders only from signed contracts")

    @model_validator(mode="after")
    def _bounds_ascend(self) -> "PolicyDocument":
        for bands, what in ((self.tiers, "tiers"), (self.discount_bands, "discount_bands")):
            bounds = [b.up_to if isinstance(b, Tier) else b.up_to_percent for b in bands]
            if not bounds:
                continue
            if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
                raise ValueError(f"{what}: only the last band is open-ended (null)")
            finite = [b for b in bounds if b is not None]
            if finite != sorted(set(finite)):
                raise ValueError(f"{what}: upper bounds must strictly increase")
        return self


def _steps(*roles: Role, sla_hours: int | None = None) -> list[StepRule]:
    return [StepRule(role=r, sla_hours=sla_hours) for r in roles]


CONTRACT_STAGES = [
    StageRule(name="review", steps=_steps(Role.finance, Role.legal)),
    StageRule(name="authority", tiered=True),
    StageRule(name="board", steps=_steps(Role.board), when="major_interest"),
]

DEFAULT_POLICY = PolicyDocument(
    tier_mode="single",
    tiers=[Tier(up_to=Decimal("100000.00"), role=Role.dept_head),
           Tier(up_to=Decimal("500000.00"), role=Role.deputy_gm),
           Tier(up_to=None, role=Role.gm)],
    default_sla_hours=48,
    documents={
        "contract": DocumentRule(stages=CONTRACT_STAGES),
        # Amendments are decided on the amended total; legal reviews every one.
        "contract_amendment": DocumentRule(stages=CONTRACT_STAGES),
        "contract_termination": DocumentRule(stages=[
            StageRule(name="department", steps=_steps(Role.dept_head)),
            StageRule(name="review", steps=_steps(Role.finance, Role.legal)),
            StageRule(name="general_manager", steps=_steps(Role.gm)),
        ]),
        "sales_order": DocumentRule(stages=[
            StageRule(name="review", steps=_steps(Role.finance, Role.logistics)),
            StageRule(name="credit_release", steps=_steps(Role.gm), when="credit_hold"),
        ]),
        # The discount bands below decide whether, and by whom (SPEC §2.1).
        "quote_discount": DocumentRule(stages=[StageRule(name="discount", banded=True)]),
        "opportunity_proposal": DocumentRule(stages=[
            StageRule(name="department", steps=_steps(Role.dept_head))]),
        "sales_plan": DocumentRule(stages=[
            StageRule(name="senior_review", steps=_steps(Role.deputy_gm)),
            StageRule(name="general_manager", steps=_steps(Role.gm)),
        ]),
        "expense_budget": DocumentRule(stages=[
            StageRule(name="finance", steps=_steps(Role.finance)),
            StageRule(name="general_manager", steps=_steps(Role.gm)),
        ]),
        "deviation_analysis": DocumentRule(stages=[
            StageRule(name="general_manager", steps=_steps(Role.gm))]),
        # Spending beyond an expense budget item's remainder (002 §3.3: only the GM).
        "expense_override": DocumentRule(stages=[
            StageRule(name="general_manager", steps=_steps(Role.gm))]),
        "customer_visit": DocumentRule(sla_hours=24, stages=[
            StageRule(name="department", steps=_steps(Role.dept_head)),
            StageRule(name="key_customer", steps=_steps(Role.deputy_gm), when="key_customer"),
        ]),
        # A complaint's corrective and preventive actions: two of the quality experts.
        "corrective_action": DocumentRule(stages=[
            StageRule(name="expert_review", steps=[StepRule(role=Role.quality, quorum=2)])]),
        "receivable_write_off": DocumentRule(stages=[
            StageRule(name="finance", steps=_steps(Role.finance)),
            StageRule(name="general_manager", steps=_steps(Role.gm)),
        ]),
    },
    discount_bands=[
        DiscountBand(up_to_percent=Decimal("5.00"), role=None),
        DiscountBand(up_to_percent=Decimal("15.00"), role=Role.dept_head),
        DiscountBand(up_to_percent=Decimal("25.00"), role=Role.deputy_gm),
        DiscountBand(up_to_percent=None, role=Role.gm),
    ],
)


@dataclass(frozen=True)
class DocumentFacts:
    """What the policy looks at, supplied by the document's adapter."""

    policy_key: str  # which entry of `documents` applies ("contract", "contract_amendment")
    amount: Decimal  # total including tax, in the base currency
    department_id: str
    flags: frozenset[str] = frozenset()
    # The largest line discount, for banded stages; flag "below_floor" when a line is
    # priced under its product's floor.
    discount_percent: Decimal | None = None


BELOW_FLOOR = "below_floor"


@dataclass(frozen=True)
class ResolvedStep:
    role: Role
    scope: Scope
    department_id: str | None
    quorum: int
    sla_hours: int
    rule: str


@dataclass(frozen=True)
class ResolvedStage:
    name: str
    steps: tuple[ResolvedStep, ...]


@dataclass
class Resolution:
    stages: list[ResolvedStage] = field(default_factory=list)
    fired_rules: list[FiredRule] = field(default_factory=list)


class UnknownPolicyKey(LookupError):
    pass


def tier_index(tiers: list[Tier], amount: Decimal) -> int:
    """The first tier whose inclusive upper bound holds the amount."""
    for index, tier in enumerate(tiers):
        if tier.up_to is None or amount <= tier.up_to:
            return index
    return len(tiers) - 1


def with_new_document_defaults(policy: PolicyDocument) -> PolicyDocument:
    """`policy` plus the default entry of every document type it has none for."""
    missing = {key: rule for key, rule in DEFAULT_POLICY.documents.items()
               if key not in policy.documents}
    if not missing:
        return policy
    return policy.model_copy(update={"documents": {**policy.documents, **missing}})


def resolve(policy: PolicyDocument, facts: DocumentFacts) -> Resolution:
    rule = policy.documents.get(facts.policy_key)
    if rule is None:
        raise UnknownPolicyKey(facts.policy_key)
    resolution = Resolution()
    for stage in rule.stages:
        if stage.when != "always" and stage.when not in facts.flags:
            resolution.fired_rules.append(
                FiredRule("stage.skipped", {"stage": stage.name, "when": stage.when}))
            continue
        if stage.when != "always":
            resolution.fired_rules.append(
                FiredRule("stage.added", {"stage": stage.name, "when": stage.when}))
        sla = stage.sla_hours or rule.sla_hours or policy.default_sla_hours

        def step(role: Role, quorum: int, hours: int | None, why: str | FiredRule) -> ResolvedStep:
            scope = scope_for(role)
            return ResolvedStep(role=role, scope=scope, quorum=quorum, sla_hours=hours or sla,
                                department_id=None if scope == Scope.company else facts.department_id,
                                rule=why if isinstance(why, str) else render_rule(why, "en"))

        fixed = tuple(step(s.role, s.quorum, s.sla_hours,
                           f"stage '{stage.name}' requires {s.role.value}") for s in stage.steps)
        if stage.banded:
            role, why = _band_approver(policy, facts)
            resolution.fired_rules.append(why)
            steps = (*fixed, step(role, 1, None, why)) if role is not None else fixed
            if steps:
                resolution.stages.append(ResolvedStage(stage.name, steps))
            continue
        if not stage.tiered:
            resolution.stages.append(ResolvedStage(stage.name, fixed))
            continue
        for index, (fired, tier_step) in enumerate(_tier_steps(policy, facts.amount, step)):
            resolution.fired_rules.append(fired)
            name = stage.name if policy.tier_mode == "single" else f"{stage.name}_{index + 1}"
            steps = (*fixed, tier_step) if index == 0 else (tier_step,)
            resolution.stages.append(ResolvedStage(name, steps))
    return resolution


def band_index(bands: list[DiscountBand], percent: Decimal) -> int:
    """The first discount band whose inclusive upper bound holds the percentage."""
    for index, band in enumerate(bands):
        if band.up_to_percent is None or percent <= band.up_to_percent:
            return index
    return len(bands) - 1


def _band_approver(policy: PolicyDocument, facts: DocumentFacts) -> tuple[Role | None, FiredRule]:
    bands = policy.discount_bands
    if not bands:
        return None, FiredRule("band.none")
    if BELOW_FLOOR in facts.flags:
        top = bands[-1]
        return top.role, FiredRule("band.below_floor",
                                   {"role": top.role.value if top.role else None})
    percent = facts.discount_percent or Decimal(0)
    index = band_index(bands, percent)
    band, low = bands[index], bands[index - 1].up_to_percent if index else None
    bounds = {"low": _decimal(low), "high": _decimal(band.up_to_percent)}
    if band.role is None:
        return None, FiredRule("band.within_authority", {"percent": f"{percent:.2f}", **bounds})
    return band.role, FiredRule("band.selected", {"percent": f"{percent:.2f}", "band": index + 1,
                                                  **bounds, "role": band.role.value})


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _tier_steps(policy: PolicyDocument, amount: Decimal,
                step: Callable[[Role, int, int | None, FiredRule], ResolvedStep],
                ) -> list[tuple[FiredRule, ResolvedStep]]:
    reached = tier_index(policy.tiers, amount)
    chosen = range(reached + 1) if policy.tier_mode == "cumulative" else [reached]
    steps = []
    for index in chosen:
        tier = policy.tiers[index]
        low = policy.tiers[index - 1].up_to if index else None
        bounds = {"low": _decimal(low), "high": _decimal(tier.up_to), "role": tier.role.value}
        fired = (FiredRule("tier.selected", {"amount": f"{amount:.2f}", "tier": reached + 1,
                                             **bounds}) if index == reached
                 else FiredRule("tier.cumulative", {"tier": index + 1, "reached": reached + 1,
                                                    **bounds}))
        steps.append((fired, step(tier.role, 1, None, fired)))
    return steps
