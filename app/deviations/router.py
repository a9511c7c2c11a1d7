from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.core import export
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import names_of, with_names
from app.core.errors import InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import DayFromQuery, DayToQuery, DepartmentQuery
from app.core.i18n import current_language
from app.core.ids import path_id
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.deviations import approval as _registers_adapter  # noqa: F401
from app.deviations import exports, service
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
from app.deviations.models import AnalysisStatus, DeviationAnalysis
from app.deviations.report import PERIOD_PATTERN, Period
from app.deviations.schemas import (
    AnalysisCreate,
    AnalysisPage,
    AnalysisRead,
    AnalysisUpdate,
    DeviationReport,
    GrowthTargetPage,
    GrowthTargetRead,
    GrowthTargetSet,
    MeasureDone,
    MeasureRead,
)

router = APIRouter(prefix="/deviation-analyses", tags=["deviation control"])
targets_router = APIRouter(prefix="/growth-targets", tags=["deviation control"])
report_router = APIRouter(prefix="/reports", tags=["reports"])
AnalysisId = Annotated[int, Path(ge=1), path_id(
    lambda n: AnalysisNotFound(f"No deviation analysis {n}."))]
MeasureId = Annotated[int, Path(ge=1), path_id(
    lambda n: MeasureNotFound(f"No measure {n}."))]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
WRITE_ERRORS = (AnalysisNotFound, DeviationForbidden, StaleVersion)


@report_router.get("/deviation", response_model=DeviationReport,
                   responses=export.file_responses())
async def get_deviation_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, examples=["2026-02"],
                                 description="A year (2026) or a month (2026-02)")],
    department_id: DepartmentQuery = None, format: export.FormatQuery = None,
) -> DeviationReport | StreamingResponse:
    """Deviation control (销售偏差) per department for a year or a month: actual (sales
    confirmed in the period, CNY), baseline (the same period last year), standard (baseline
    × (1 + the department's growth rate for the year), half-up to the cent) and deviation
    (actual − standard); for the departments the caller answers for (a head their own, a
    deputy GM those they oversee, finance and the GM all). A row per department and the
    total last, as CSV or XLSX with `format`."""
    report = await service.deviation_report(session, principal, period=Period.parse(period),
                                            department_id=department_id)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    names = await names_of(session, departments=[d.department_id for d in report.departments])
    return await exports.DEVIATION.rows(
        wanted, exports.deviation_rows(report, names, current_language()), now=now)


@targets_router.get("", response_model=GrowthTargetPage, responses=file_responses())
async def list_growth_targets(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.TARGET_SORTS.request)],
    department_id: DepartmentQuery = None, year: YearQuery = None,
    format: FormatQuery = None,
) -> GrowthTargetPage | StreamingResponse:
    """The planned growth rates the caller may see, newest first unless sorted otherwise.
    Every one of them as CSV or XLSX with `format` (the rate as a percentage)."""

    async def page_of(wanted: ListRequest) -> Listed[GrowthTargetRead]:
        listed = await service.list_targets(session, principal, department_id=department_id,
                                            year=year, page=wanted)
        reads = [GrowthTargetRead.model_validate(t) for t in listed.items]
        await with_names(session, reads)
        return Listed(reads, listed.next_cursor, listed.total)

    file = await exports.GROWTH_TARGETS.file(request, format, page=page, now=now,
                                             page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return GrowthTargetPage(items=listed.items, next_cursor=listed.next_cursor,
                            total=listed.total)


@targets_router.post("", status_code=201, response_model=GrowthTargetRead,
                     responses={200: {"model": GrowthTargetRead,
                                      "description": "The year's rate replaced"},
                                **errors_doc(DeviationForbidden, DepartmentNotCovered,
                                             TargetSetConcurrently)})
async def set_growth_target(body: GrowthTargetSet, session: SessionDep,
                            principal: CurrentPrincipal, response: Response) -> GrowthTargetRead:
    """Set a department's planned growth rate for a year (the GM, or the deputy GM who
    oversees it): 201 the first time, 200 when it replaces the year's rate. The deviation
    report's standard grows last year's actual by it."""
    target, created = await service.set_target(
        session, principal, department_id=body.department_id, year=body.year,
        growth_rate=body.growth_rate)
    response.status_code = 201 if created else 200
    # A target is known by its department and year: the list filtered to it.
    response.headers["Location"] = (f"/api/v1/growth-targets?department_id="
                                    f"{quote(target.department_id)}&year={target.year}")
    set_etag(response, target.version)
    read = GrowthTargetRead.model_validate(target)
    await with_names(session, [read])
    return read


async def _read_many(session: AsyncSession, principal: Principal,
                     analyses: list[DeviationAnalysis], now: datetime) -> list[AnalysisRead]:
    measures = await service.measures_by_analysis(session, [a.id for a in analyses if a.id])
    requests = await approval_reads(session, principal,
                                    [a.approval_request_id for a in analyses], now)
    reads = []
    for analysis in analyses:
        assert analysis.id is not None
        read = AnalysisRead.model_validate(analysis)
        read.period = service.period_of(analysis)
        read.measures = [MeasureRead.model_validate(m) for m in measures.get(analysis.id, [])]
        read.approval = requests.get(analysis.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            analysis, principal, read.approval.allowed_actions if read.approval else [])
        reads.append(read)
    await with_names(session, reads)
    await with_names(session, [m for read in reads for m in read.measures])
    return reads


async def _read(session: AsyncSession, principal: Principal, analysis: DeviationAnalysis,
                now: datetime, response: Response) -> AnalysisRead:
    [read] = await _read_many(session, principal, [analysis], now)
    set_etag(response, analysis.version)
    return read


@router.get("", response_model=AnalysisPage, responses=file_responses())
async def list_deviation_analyses(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    department_id: DepartmentQuery = None, year: YearQuery = None,
    month: Annotated[int | None, Query(ge=1, le=12, description=(
        "The month of `year` analysed; yearly analyses have none"))] = None,
    status: AnalysisStatus | None = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, format: FormatQuery = None,
) -> AnalysisPage | StreamingResponse:
    """Deviation analyses the caller may see, newest first unless sorted otherwise
    (`deviation`: the furthest below standard first, ascending). Every one of them as CSV
    or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[AnalysisRead]:
        listed = await service.list_analyses(
            session, principal, department_id=department_id, year=year, month=month,
            status=status, created_from=created_from, created_to=created_to, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.DEVIATION_ANALYSES.file(request, format, page=page, now=now,
                                                 page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return AnalysisPage(items=listed.items, next_cursor=listed.next_cursor,
                        total=listed.total)


@router.post("", status_code=201, response_model=AnalysisRead,
             responses=errors_doc(DeviationForbidden, DepartmentNotCovered, NotBelowStandard,
                                  PeriodInFuture))
async def create_deviation_analysis(body: AnalysisCreate, session: SessionDep,
                                    principal: CurrentPrincipal, now: Now,
                                    response: Response) -> AnalysisRead:
    """A draft analysis (causes, measures with owner and due date) for a department below
    its minimum standard in a period (409 `deviation.not_below_standard` otherwise), with
    the report's figures at this moment."""
    analysis = await service.create_analysis(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/deviation-analyses/{analysis.id}"
    return await _read(session, principal, analysis, now, response)


@router.get("/{analysis_id}", response_model=AnalysisRead,
            responses=errors_doc(AnalysisNotFound))
async def get_deviation_analysis(analysis_id: AnalysisId, session: SessionDep,
                                 principal: CurrentPrincipal, now: Now,
                                 response: Response) -> AnalysisRead:
    analysis = await service.get_visible(session, principal, analysis_id)
    return await _read(session, principal, analysis, now, response)


@router.patch("/{analysis_id}", response_model=AnalysisRead,
              responses=errors_doc(*WRITE_ERRORS, AnalysisLocked))
async def update_deviation_analysis(analysis_id: AnalysisId, body: AnalysisUpdate,
                                    session: SessionDep, principal: CurrentPrincipal,
                                    if_match: IfMatch, now: Now,
                                    response: Response) -> AnalysisRead:
    """Edit a draft's causes; `measures` replace the measures."""
    analysis = await service.update_analysis(session, principal, analysis_id=analysis_id,
                                             data=body, expected_version=if_match)
    return await _read(session, principal, analysis, now, response)


@router.post("/{analysis_id}/submit", response_model=AnalysisRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, NoPolicyForDocument))
async def submit_deviation_analysis(analysis_id: AnalysisId, session: SessionDep,
                                    principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                    response: Response) -> AnalysisRead:
    """Send a draft to the GM."""
    analysis = await service.submit_analysis(session, principal, analysis_id=analysis_id,
                                             expected_version=if_match, now=now)
    return await _read(session, principal, analysis, now, response)


@router.post("/{analysis_id}/recall", response_model=AnalysisRead,
             responses=errors_doc(AnalysisNotFound, StaleVersion, InvalidTransition,
                                  NotSubmitter))
async def recall_deviation_analysis(analysis_id: AnalysisId, session: SessionDep,
                                    principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                    response: Response) -> AnalysisRead:
    """The submitter takes an analysis back from the GM; it is a draft again."""
    analysis = await service.recall_analysis(session, principal, analysis_id=analysis_id,
                                             expected_version=if_match, now=now)
    return await _read(session, principal, analysis, now, response)


@router.post("/{analysis_id}/measures/{measure_id}/done", response_model=AnalysisRead,
             responses=errors_doc(*WRITE_ERRORS, MeasureNotFound, MeasuresNotOpen,
                                  MeasureAlreadyDone))
async def complete_deviation_measure(analysis_id: AnalysisId, measure_id: MeasureId,
                                     body: MeasureDone, session: SessionDep,
                                     principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                     response: Response) -> AnalysisRead:
    """Mark a measure of an approved analysis done; with the last one the analysis is
    `completed`."""
    analysis = await service.complete_measure(
        session, principal, analysis_id=analysis_id, measure_id=measure_id, note=body.note,
        expected_version=if_match, now=now)
    return await _read(session, principal, analysis, now, response)
