"""Deviation control (销售偏差, SPEC §4): the departments' planned growth rates, the
deviation report, and the analyses (causes and measures) that a period below its minimum
standard calls for, approved by the GM and tracked measure by measure until done."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import documents
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit, commit_or_raise
from app.core.filters import where_equal, where_range
from app.core.money import format_decimal, format_money
from app.core.numbering import next_number
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import PLANNING_RECORD_SCOPES, Capability, can, sees_record, visible
from app.core.security import Principal
from app.core.versioning import apply_changes, bump_version, ensure_version
from app.departments.models import Department
from app.deviations import report
from app.deviations.errors import (
    AnalysisLocked,
    AnalysisNotFound,
    DepartmentNotCovered,
    DeviationForbidden,
    MeasureAlreadyDone,
    MeasureNotFound,
    MeasuresNotOpen,
    NotBelowStandard,
    PeriodInFuture,
    TargetSetConcurrently,
)
from app.deviations.models import AnalysisStatus, DeviationAnalysis, DeviationMeasure, GrowthTarget
from app.deviations.report import Period
from app.deviations.schemas import (
    AnalysisCreate,
    AnalysisSummary,
    AnalysisUpdate,
    DepartmentDeviation,
    DeviationFigures,
    DeviationReport,
    MeasureIn,
    MeasureSummary,
)
from app.deviations.states import ensure_transition
from app.events.changes import record_change

ENTITY = "deviation_analysis"
TARGET_ENTITY = "growth_target"
ZERO = Decimal("0.00")


def covers(principal: Principal, department_id: str) -> bool:
    return sees_record(principal, owner_id=None, department_id=department_id,
                       table=PLANNING_RECORD_SCOPES)


def require(principal: Principal, capability: Capability, doing: str) -> None:
    if not can(principal, capability):
        raise DeviationForbidden(f"Your roles do not {doing}.", capability=capability.value)


async def _covered_department(session: AsyncSession, principal: Principal,
                              department_id: str) -> Department:
    department = await session.get(Department, department_id)
    if department is None or not covers(principal, department_id):
        raise DepartmentNotCovered(f"No department {department_id!r} you answer for.")
    return department


# ---- the report -------------------------------------------------------------------------


async def deviation_report(session: AsyncSession, principal: Principal, *, period: Period,
                           department_id: str | None) -> DeviationReport:
    rows = await report.figures(session, principal, period, department_id=department_id)
    departments = [DepartmentDeviation(
        department_id=r.department_id, actual=r.actual, baseline=r.baseline,
        growth_rate=r.growth_rate, growth_rate_set=r.growth_rate_set, standard=r.standard,
        deviation=r.deviation, below_standard=r.deviation < 0) for r in rows]
    totals = {name: sum((getattr(r, name) for r in rows), ZERO)
              for name in ("actual", "baseline", "standard", "deviation")}
    last = period.last_year
    return DeviationReport(
        period=str(period), period_start=period.first_day,
        period_end=period.next_first_day - timedelta(days=1),
        baseline_start=last.first_day, baseline_end=last.next_first_day - timedelta(days=1),
        total=DeviationFigures(**totals, below_standard=totals["deviation"] < 0),
        departments=departments)


# ---- growth targets ---------------------------------------------------------------------


def _targets_visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=GrowthTarget.set_by,
                   department_column=GrowthTarget.department_id, table=PLANNING_RECORD_SCOPES)


async def set_target(session: AsyncSession, principal: Principal, *, department_id: str,
                     year: int, growth_rate: Decimal) -> tuple[GrowthTarget, bool]:
    """The GM for any department, a deputy GM for those they oversee; the last one set is
    the rate (each setting is audited). Returns the target and whether it is new."""
    require(principal, Capability.deviation_target_set, "set growth targets")
    await _covered_department(session, principal, department_id)
    target = (await session.execute(
        select(GrowthTarget).where(col(GrowthTarget.department_id) == department_id,
                                   col(GrowthTarget.year) == year)
        .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()
    before, created = None, target is None
    if target is None:
        target = GrowthTarget(department_id=department_id, year=year, growth_rate=growth_rate,
                              set_by=principal.sub)
        session.add(target)
    else:
        before = _target_summary(target)
        apply_changes(target, {"growth_rate": growth_rate, "set_by": principal.sub})
    await session.flush()
    assert target.id is not None
    record_change(session, principal, event_type="deviation_target.set",
                  entity_type=TARGET_ENTITY, entity_id=target.id, before=before,
                  after=_target_summary(target))
    await commit_or_raise(session, TargetSetConcurrently(
        f"The {department_id} target for {year} was set at the same moment; read it again."))
    return target, created


def _target_summary(target: GrowthTarget) -> dict[str, Any]:
    return {"department_id": target.department_id, "year": target.year,
            "growth_rate": format_decimal(target.growth_rate, 4), "set_by": target.set_by,
            "version": target.version}


TARGET_SORTS = Sorts("GrowthTarget", {
    "created_at": col(GrowthTarget.created_at), "year": col(GrowthTarget.year),
    "growth_rate": col(GrowthTarget.growth_rate),
}, tiebreaker=col(GrowthTarget.id))


async def list_targets(session: AsyncSession, principal: Principal, *,
                       department_id: str | None, year: int | None, page: ListRequest
                       ) -> Listed[GrowthTarget]:
    statement: Select[Any] = select(GrowthTarget).where(_targets_visible(principal))
    statement = where_equal(statement, (col(GrowthTarget.department_id), department_id),
                            (col(GrowthTarget.year), year))
    return await TARGET_SORTS.page(session, statement, page)


# ---- analyses ---------------------------------------------------------------------------


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=DeviationAnalysis.created_by,
                   department_column=DeviationAnalysis.department_id,
                   table=PLANNING_RECORD_SCOPES)


async def get_visible(session: AsyncSession, principal: Principal, analysis_id: int, *,
                      for_update: bool = False) -> DeviationAnalysis:
    statement = select(DeviationAnalysis).where(col(DeviationAnalysis.id) == analysis_id,
                                                _visible(principal))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    analysis = (await session.execute(statement)).scalar_one_or_none()
    if analysis is None:
        raise AnalysisNotFound(f"No deviation analysis {analysis_id}.")
    return analysis


SORTS = Sorts("DeviationAnalysis", {
    "created_at": col(DeviationAnalysis.created_at), "year": col(DeviationAnalysis.year),
    "deviation": col(DeviationAnalysis.deviation), "actual": col(DeviationAnalysis.actual),
}, tiebreaker=col(DeviationAnalysis.id))


async def list_analyses(session: AsyncSession, principal: Principal, *,
                        department_id: str | None, year: int | None, month: int | None = None,
                        status: AnalysisStatus | None, created_from: date | None = None,
                        created_to: date | None = None, page: ListRequest
                        ) -> Listed[DeviationAnalysis]:
    statement: Select[Any] = select(DeviationAnalysis).where(_visible(principal))
    statement = where_equal(statement, (col(DeviationAnalysis.department_id), department_id),
                            (col(DeviationAnalysis.year), year),
                            (col(DeviationAnalysis.month), month),
                            (col(DeviationAnalysis.status), status))
    statement = where_range(  # the company's calendar days, inclusive
        statement, col(DeviationAnalysis.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    return await SORTS.page(session, statement, page)


async def measures_by_analysis(session: AsyncSession, ids: list[int]
                               ) -> dict[int, list[DeviationMeasure]]:
    found: dict[int, list[DeviationMeasure]] = {}
    if ids:
        rows = (await session.execute(
            select(DeviationMeasure).where(col(DeviationMeasure.analysis_id).in_(ids))
            .order_by(col(DeviationMeasure.analysis_id), col(DeviationMeasure.position))
            .execution_options(populate_existing=True))).scalars()
        for measure in rows:
            found.setdefault(measure.analysis_id, []).append(measure)
    return found


def _measures(analysis_id: int, measures: list[MeasureIn]) -> list[DeviationMeasure]:
    return [DeviationMeasure(analysis_id=analysis_id, position=n, description=m.description,
                             owner_id=m.owner_id, due_date=m.due_date)
            for n, m in enumerate(measures, 1)]


async def create_analysis(session: AsyncSession, principal: Principal, *,
                          data: AnalysisCreate, now: datetime) -> DeviationAnalysis:
    """A draft analysis for a department below its minimum standard in a period that has
    begun, with the figures of the deviation report at this moment."""
    require(principal, Capability.deviation_analysis_write, "write deviation analyses")
    await _covered_department(session, principal, data.department_id)
    period = Period.parse(data.period)
    if period.first_day > local_date(now):
        raise PeriodInFuture(f"{period} has not begun.",
                             date=period.first_day.isoformat())
    [figures] = await report.figures(session, principal, period,
                                     department_id=data.department_id)
    if figures.deviation >= 0:
        raise NotBelowStandard(
            f"{data.department_id} confirmed {format_money(figures.actual)} against a "
            f"standard of {format_money(figures.standard)} in {period}.",
            actual=format_money(figures.actual), standard=format_money(figures.standard),
            deviation=format_money(figures.deviation))
    analysis = DeviationAnalysis(
        number=await next_number(session, ENTITY, on=local_date(now)),
        department_id=data.department_id, year=period.year, month=period.month,
        causes=data.causes, created_by=principal.sub, actual=figures.actual,
        baseline=figures.baseline, growth_rate=figures.growth_rate,
        standard=figures.standard, deviation=figures.deviation)
    session.add(analysis)
    await session.flush()
    assert analysis.id is not None
    measures = _measures(analysis.id, data.measures)
    session.add_all(measures)
    await session.flush()
    record_change(session, principal, event_type="deviation_analysis.created",
                  entity_type=ENTITY, entity_id=analysis.id, before=None,
                  after=detailed(analysis, measures))
    await commit(session)
    return analysis


async def update_analysis(session: AsyncSession, principal: Principal, *, analysis_id: int,
                          data: AnalysisUpdate, expected_version: int | None
                          ) -> DeviationAnalysis:
    analysis = await get_visible(session, principal, analysis_id, for_update=True)
    require(principal, Capability.deviation_analysis_write, "edit deviation analyses")
    ensure_version(analysis.version, expected_version)
    if analysis.status != AnalysisStatus.draft:
        raise AnalysisLocked(f"The analysis is {analysis.status.value}.",
                             current_status=analysis.status.value)
    assert analysis.id is not None
    measures = (await measures_by_analysis(session, [analysis.id])).get(analysis.id, [])
    before = detailed(analysis, measures)
    changes: dict[str, Any] = {}
    if data.causes is not None:
        changes["causes"] = data.causes
    if data.measures is not None:
        for measure in measures:
            await session.delete(measure)
        await session.flush()
        measures = _measures(analysis.id, data.measures)
        session.add_all(measures)
    apply_changes(analysis, changes)
    await session.flush()
    record_change(session, principal, event_type="deviation_analysis.updated",
                  entity_type=ENTITY, entity_id=analysis.id, before=before,
                  after=detailed(analysis, measures))
    await commit(session)
    return analysis


async def submit_analysis(session: AsyncSession, principal: Principal, *, analysis_id: int,
                          expected_version: int | None, now: datetime) -> DeviationAnalysis:
    """To the GM (the policy's `deviation_analysis`)."""
    analysis = await get_visible(session, principal, analysis_id, for_update=True)
    require(principal, Capability.deviation_analysis_write, "submit deviation analyses")
    ensure_version(analysis.version, expected_version)
    await documents.submit_document(session, principal, analysis, now=now)
    return analysis


async def recall_analysis(session: AsyncSession, principal: Principal, *, analysis_id: int,
                          expected_version: int | None, now: datetime) -> DeviationAnalysis:
    # Not locked here (documents.recall_document says why).
    analysis = await get_visible(session, principal, analysis_id)
    ensure_version(analysis.version, expected_version)
    await documents.recall_document(session, principal, analysis, now=now)
    return analysis


async def complete_measure(session: AsyncSession, principal: Principal, *, analysis_id: int,
                           measure_id: int, note: str | None, expected_version: int | None,
                           now: datetime) -> DeviationAnalysis:
    """Mark an approved analysis's measure done; the last one completes the analysis."""
    analysis = await get_visible(session, principal, analysis_id, for_update=True)
    require(principal, Capability.deviation_analysis_write, "track deviation measures")
    ensure_version(analysis.version, expected_version)
    assert analysis.id is not None
    measures = (await measures_by_analysis(session, [analysis.id])).get(analysis.id, [])
    measure = next((m for m in measures if m.id == measure_id), None)
    if measure is None:
        raise MeasureNotFound(f"Analysis {analysis_id} has no measure {measure_id}.")
    if analysis.status != AnalysisStatus.approved:
        raise MeasuresNotOpen(f"The analysis is {analysis.status.value}.",
                              current_status=analysis.status.value)
    if measure.done_at is not None:
        raise MeasureAlreadyDone(f"Measure {measure.position} was done at "
                                 f"{measure.done_at.isoformat()}.")
    before = summary(analysis)
    measure.done_at, measure.done_by, measure.done_note = now, principal.sub, note
    bump_version(analysis)
    record_change(session, principal, event_type="deviation_analysis.measure_done",
                  entity_type=ENTITY, entity_id=analysis.id, before=before,
                  after=summary(analysis),
                  event_data={**summary(analysis), "measure": _measure_summary(measure),
                              "note": note})
    if all(m.done_at is not None for m in measures):
        ensure_transition(analysis.status, AnalysisStatus.completed)
        before = summary(analysis)
        analysis.status, analysis.completed_at = AnalysisStatus.completed, now
        record_change(session, principal, event_type="deviation_analysis.completed",
                      entity_type=ENTITY, entity_id=analysis.id, before=before,
                      after=summary(analysis))
    await commit(session)
    return analysis


# ---- shared -----------------------------------------------------------------------------


def period_of(analysis: DeviationAnalysis) -> str:
    return str(Period(analysis.year, analysis.month))


def summary(analysis: DeviationAnalysis) -> dict[str, Any]:
    assert analysis.id is not None
    return AnalysisSummary(
        id=analysis.id, number=analysis.number, department_id=analysis.department_id,
        year=analysis.year, month=analysis.month, actual=format_money(analysis.actual),
        baseline=format_money(analysis.baseline),
        growth_rate=format_decimal(analysis.growth_rate, 4),
        standard=format_money(analysis.standard), deviation=format_money(analysis.deviation),
        status=analysis.status, version=analysis.version).model_dump(mode="json")


def _measure_summary(measure: DeviationMeasure) -> dict[str, Any]:
    assert measure.id is not None
    return MeasureSummary(id=measure.id, position=measure.position,
                          description=measure.description, owner_id=measure.owner_id,
                          due_date=measure.due_date, done_at=measure.done_at
                          ).model_dump(mode="json")


def detailed(analysis: DeviationAnalysis, measures: list[DeviationMeasure]) -> dict[str, Any]:
    """The summary with the causes and measures: what creating and editing change."""
    return {**summary(analysis), "causes": analysis.causes,
            "measures": [_measure_summary(m) for m in measures]}


def allowed_actions(analysis: DeviationAnalysis, principal: Principal,
                    approval_actions: list[str]) -> list[str]:
    actions: list[str] = []
    writer = can(principal, Capability.deviation_analysis_write)
    if analysis.status == AnalysisStatus.draft and writer:
        actions += ["update", "submit"]
    if analysis.status == AnalysisStatus.pending_approval:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if analysis.status == AnalysisStatus.approved and writer:
        actions.append("complete_measure")
    return actions


