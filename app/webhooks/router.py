from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from app.core.clock import Now
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import Forbidden, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.ids import BIGINT_MAX, path_id
from app.core.pagination import CursorQuery, LimitQuery, Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag
from app.webhooks import fanout as _registers_fan_out  # noqa: F401
from app.webhooks import exports, service
from app.webhooks.errors import (
    DeliveryInFlight,
    DeliveryNotFound,
    SubscriptionDisabled,
    SubscriptionNotFound,
    UnknownEventType,
)
from app.webhooks.models import WebhookDeliveryStatus, WebhookSubscription
from app.webhooks.schemas import (
    ReplayBody,
    ReplayResult,
    RotateSecretBody,
    WebhookCreate,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from app.webhooks.targets import WebhookUrlRefused

router = APIRouter(tags=["webhooks"])
Id = Annotated[int, Path(ge=1), path_id(lambda _: SubscriptionNotFound())]
DeliveryId = Annotated[int, Path(ge=1),
                       path_id(lambda _: DeliveryNotFound(), maximum=BIGINT_MAX)]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _with_secret(subscription: WebhookSubscription, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**WebhookRead.model_validate(subscription).model_dump(),
                             secret=secret)


@router.post("/webhooks", status_code=201, response_model=WebhookWithSecret,
             responses=errors_doc(Forbidden, WebhookUrlRefused, UnknownEventType))
async def create_webhook(body: WebhookCreate, session: SessionDep, principal: CurrentPrincipal,
                         settings: SettingsDep, now: Now, response: Response) -> WebhookWithSecret:
    """Subscribe a receiver (admin). The answer holds the signing secret, shown only once."""
    subscription, secret = await service.create(session, principal, settings, data=body, now=now)
    set_etag(response, subscription.version)
    response.headers["Location"] = f"/api/v1/webhooks/{subscription.id}"
    response.headers["Cache-Control"] = "no-store"  # nothing may keep the secret
    return _with_secret(subscription, secret)


@router.get("/webhooks", response_model=WebhookPage,
            responses={**file_responses(), **errors_doc(Forbidden)})
async def list_webhooks(request: Request, session: SessionDep, principal: CurrentPrincipal,
                        now: Now, limit: LimitQuery = 50, cursor: CursorQuery = None,
                        format: FormatQuery = None) -> WebhookPage | StreamingResponse:
    """The subscriptions (admin); all of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[WebhookRead]:
        items, next_cursor = await service.list_subscriptions(
            session, principal, limit=wanted.limit, cursor=wanted.cursor)
        return Listed([WebhookRead.model_validate(s) for s in items], next_cursor)

    page = ListRequest(limit=limit, cursor=cursor)
    file = await exports.WEBHOOKS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return WebhookPage(items=listed.items, next_cursor=listed.next_cursor)


@router.get("/webhooks/{subscription_id}", response_model=WebhookRead,
            responses=errors_doc(Forbidden, SubscriptionNotFound))
async def get_webhook(subscription_id: Id, session: SessionDep, principal: CurrentPrincipal,
                      response: Response) -> WebhookRead:
    subscription = await service.get(session, principal, subscription_id)
    set_etag(response, subscription.version)
    return WebhookRead.model_validate(subscription)


@router.patch("/webhooks/{subscription_id}", response_model=WebhookRead,
              responses=errors_doc(Forbidden, SubscriptionNotFound, StaleVersion,
                                   WebhookUrlRefused, UnknownEventType))
async def update_webhook(subscription_id: Id, body: WebhookUpdate, session: SessionDep,
                         principal: CurrentPrincipal, settings: SettingsDep, now: Now,
                         if_match: IfMatch, response: Response) -> WebhookRead:
    """Change the URL or event types, or enable/disable the subscription."""
    subscription = await service.update_subscription(
        session, principal, settings, subscription_id=subscription_id, data=body,
        expected_version=if_match, now=now)
    set_etag(response, subscription.version)
    return WebhookRead.model_validate(subscription)


@router.delete("/webhooks/{subscription_id}", status_code=204,
               responses=errors_doc(Forbidden, SubscriptionNotFound, StaleVersion))
async def delete_webhook(subscription_id: Id, session: SessionDep, principal: CurrentPrincipal,
                         if_match: IfMatch) -> Response:
    """Remove the subscription and its delivery log."""
    await service.delete(session, principal, subscription_id=subscription_id,
                         expected_version=if_match)
    return Response(status_code=204)


@router.post("/webhooks/{subscription_id}/rotate-secret", response_model=WebhookWithSecret,
             responses=errors_doc(Forbidden, SubscriptionNotFound))
async def rotate_webhook_secret(subscription_id: Id, body: RotateSecretBody, session: SessionDep,
                                principal: CurrentPrincipal, settings: SettingsDep, now: Now,
                                response: Response) -> WebhookWithSecret:
    """A new signing secret (shown once); the old one keeps signing for `overlap_hours`."""
    subscription, secret = await service.rotate_secret(
        session, principal, settings, subscription_id=subscription_id,
        overlap=timedelta(hours=body.overlap_hours), now=now)
    set_etag(response, subscription.version)
    response.headers["Cache-Control"] = "no-store"  # nothing may keep the secret
    return _with_secret(subscription, secret)


@router.post("/webhooks/{subscription_id}/test", status_code=202, response_model=WebhookDeliveryRead,
             responses=errors_doc(Forbidden, SubscriptionNotFound, SubscriptionDisabled))
async def test_webhook(subscription_id: Id, session: SessionDep, principal: CurrentPrincipal,
                       now: Now) -> WebhookDeliveryRead:
    """Send a `webhook.test` message to this receiver now; follow it in the delivery log."""
    delivery = await service.send_test(session, principal, subscription_id=subscription_id,
                                       now=now)
    return WebhookDeliveryRead.model_validate(delivery)


@router.post("/webhooks/{subscription_id}/replay", status_code=202, response_model=ReplayResult,
             responses=errors_doc(Forbidden, SubscriptionNotFound))
async def replay_webhook(subscription_id: Id, body: ReplayBody, session: SessionDep,
                         principal: CurrentPrincipal, now: Now) -> ReplayResult:
    """Deliver again every event of a time range that this subscription receives."""
    queued = await service.replay(session, principal, subscription_id=subscription_id,
                                  data=body, now=now)
    return ReplayResult(queued=queued)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=WebhookDeliveryPage,
            responses={**file_responses(), **errors_doc(Forbidden, SubscriptionNotFound)})
async def list_webhook_deliveries(
    request: Request, subscription_id: Id, session: SessionDep, principal: CurrentPrincipal,
    now: Now, status: WebhookDeliveryStatus | None = None, limit: LimitQuery = 50,
    cursor: CursorQuery = None, format: FormatQuery = None,
) -> WebhookDeliveryPage | StreamingResponse:
    """The delivery log, newest first: status, attempts, last answer, latency, next attempt;
    all of it as CSV or XLSX with `format` (without the bodies)."""

    async def page_of(wanted: ListRequest) -> Listed[WebhookDeliveryRead]:
        items, next_cursor = await service.list_deliveries(
            session, principal, subscription_id=subscription_id, status=status,
            limit=wanted.limit, cursor=wanted.cursor)
        return Listed([WebhookDeliveryRead.model_validate(d) for d in items], next_cursor)

    page = ListRequest(limit=limit, cursor=cursor)
    file = await exports.WEBHOOK_DELIVERIES.file(request, format, page=page, now=now,
                                                 page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return WebhookDeliveryPage(items=listed.items, next_cursor=listed.next_cursor)


@router.get("/webhook-deliveries/{delivery_id}", response_model=WebhookDeliveryRead,
            responses=errors_doc(Forbidden, DeliveryNotFound))
async def get_webhook_delivery(delivery_id: DeliveryId, session: SessionDep,
                               principal: CurrentPrincipal) -> WebhookDeliveryRead:
    return WebhookDeliveryRead.model_validate(await service.get_delivery(session, principal, delivery_id))


@router.post("/webhook-deliveries/{delivery_id}/retry", status_code=202,
             response_model=WebhookDeliveryRead,
             responses=errors_doc(Forbidden, DeliveryNotFound, DeliveryInFlight))
async def retry_webhook_delivery(delivery_id: DeliveryId, session: SessionDep,
                                 principal: CurrentPrincipal, now: Now) -> WebhookDeliveryRead:
    """Send this message again now, with a fresh retry schedule."""
    delivery = await service.retry_delivery(session, principal, delivery_id=delivery_id, now=now)
    return WebhookDeliveryRead.model_validate(delivery)
