"""Webhooks end to end: subscriptions through the API, events from real commands, delivery
to a real receiver on loopback, verified with the Standard Webhooks library as an ERP
would."""

from datetime import timedelta

from sqlalchemy import select

from app.webhooks.models import WebhookDelivery
from tests.webhooks.conftest import run_until, subscribe


async def _create_customer(client, headers, name: str = "华东机电") -> dict:
    response = await client.post("/api/v1/customers", headers=headers, json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


async def _deliveries(client, admin, subscription_id: int, **params) -> list[dict]:
    response = await client.get(f"/api/v1/webhooks/{subscription_id}/deliveries",
                                headers=admin, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


class TestSubscriptions:
    async def test_secret_is_shown_once_and_only_admins_manage(self, client, admin, company,
                                                               receiver):
        created = await subscribe(client, admin, receiver.url, ["contract.*", "customer.created"])
        assert created["secret"].startswith("whsec_")
        assert created["event_types"] == ["contract.*", "customer.created"]
        read = await client.get(f"/api/v1/webhooks/{created['id']}", headers=admin)
        assert read.status_code == 200 and "secret" not in read.json()
        assert created["secret"] not in read.text
        for forbidden in (company.gm, company.head):
            response = await client.get("/api/v1/webhooks", headers=forbidden)
            assert response.status_code == 403

    async def test_bad_subscriptions_are_refused_and_change_nothing(self, client, admin,
                                                                    receiver):
        cases = [
            ({"url": receiver.url, "event_types": ["contract.exploded"]},
             "webhook.unknown_event_type"),
            ({"url": "http://erp.example.com/hooks", "event_types": ["*"]}, "webhook.url_refused"),
            ({"url": "https://10.0.0.7/hooks", "event_types": ["*"]}, "webhook.url_refused"),
            ({"url": "https://169.254.169.254/latest/meta-data", "event_types": ["*"]},
             "webhook.url_refused"),
        ]
        for body, code in cases:
            response = await client.post("/api/v1/webhooks", headers=admin, json=body)
            assert response.status_code == 422, response.text
            assert response.json()["code"] == code
        assert (await client.get("/api/v1/webhooks", headers=admin)).json()["items"] == []

    async def test_edit_with_if_match_and_delete(self, client, admin, receiver):
        created = await subscribe(client, admin, receiver.url, ["*"])
        path = f"/api/v1/webhooks/{created['id']}"
        stale = await client.patch(path, headers={**admin, "If-Match": '"7"'},
                                   json={"enabled": False})
        assert stale.status_code == 412
        disabled = await client.patch(path, headers={**admin, "If-Match": '"1"'},
                                      json={"enabled": False, "description": "ERP 升级中"})
        assert disabled.status_code == 200
        assert disabled.json()["enabled"] is False and disabled.json()["disabled_reason"]
        assert (await client.delete(path, headers=admin)).status_code == 204
        assert (await client.get(path, headers=admin)).status_code == 404


class TestDelivery:
    async def test_an_event_arrives_signed_with_subject_and_sequence(
            self, client, admin, company, receiver, dispatcher):
        subscription = await subscribe(client, admin, receiver.url, ["customer.*"])
        customer = await _create_customer(client, company.rep)
        await client.patch(f"/api/v1/customers/{customer['id']}", headers=company.rep,
                           json={"address": "上海市浦东新区"})
        await run_until(dispatcher, lambda: len(receiver.received) == 2)

        created, updated = sorted((r.verified_by(subscription["secret"]) for r in receiver.received),
                                  key=lambda m: m["sequence"])
        assert created["type"] == "customer.created" and updated["type"] == "customer.updated"
        assert created["subject"] == updated["subject"] == f"customer:{customer['id']}"
        assert (created["sequence"], updated["sequence"]) == (1, 2)
        assert created["data"]["name"] == "华东机电" and created["schema_version"] == 1
        feed = (await client.get("/api/v1/events", headers=company.admin,
                                 params={"types": "customer.created"})).json()["items"]
        assert created["id"] == feed[-1]["event_id"]  # the webhook-id is the event's id
        assert created["id"] in receiver.ids

        log = await _deliveries(client, admin, subscription["id"])
        assert [d["status"] for d in log] == ["delivered", "delivered"]
        assert all(d["attempts"] == 1 and d["last_status_code"] == 204
                   and d["last_latency_ms"] is not None for d in log)

    async def test_a_receiver_down_for_a_while_gets_every_event_once_back(
            self, client, admin, company, receiver, dispatcher):
        subscription = await subscribe(client, admin, receiver.url, ["customer.*"])
        receiver.answer_with((503, {}), (500, {}), (502, {}), (503, {}))
        customers = [await _create_customer(client, company.rep, f"客户{i}") for i in range(3)]
        # Four failed attempts, then one success for each of the three.
        await run_until(dispatcher, lambda: len(receiver.received) == 7)

        delivered = [r.message["subject"] for r in receiver.received[4:]]
        assert sorted(delivered) == sorted(f"customer:{c['id']}" for c in customers)
        for received in receiver.received:
            received.verified_by(subscription["secret"])
        log = await _deliveries(client, admin, subscription["id"])
        assert {d["status"] for d in log} == {"delivered"}
        assert sum(d["attempts"] for d in log) == 7  # four failures, three successes

    async def test_retries_run_out_then_failed_and_a_manual_retry_delivers(
            self, client, admin, company, receiver, dispatcher):
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        receiver.answer_with(then=(500, {}))
        await _create_customer(client, company.rep)
        await run_until(dispatcher, lambda: len(receiver.received) == 4)  # 1 + 3 retries
        await run_until(dispatcher, lambda: True)
        [failed] = await _deliveries(client, admin, subscription["id"], status="failed")
        assert failed["attempts"] == 4 and failed["last_status_code"] == 500
        assert failed["next_attempt_at"] is None

        receiver.answer_with(then=(200, {}))
        retried = await client.post(f"/api/v1/webhook-deliveries/{failed['id']}/retry",
                                    headers=admin)
        assert retried.status_code == 202 and retried.json()["status"] == "pending"
        await run_until(dispatcher, lambda: len(receiver.received) == 5)
        assert receiver.received[-1].headers["webhook-id"] == failed["event_id"]
        again = await client.get(f"/api/v1/webhook-deliveries/{failed['id']}", headers=admin)
        assert again.json()["status"] == "delivered" and again.json()["attempts"] == 5

    async def test_retry_after_is_honoured(self, client, admin, company, receiver, dispatcher,
                                           clock):
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        receiver.answer_with((429, {"Retry-After": "120"}))
        await _create_customer(client, company.rep)
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        await run_until(dispatcher, lambda: True)
        [waiting] = await _deliveries(client, admin, subscription["id"])
        assert waiting["status"] == "pending" and waiting["last_status_code"] == 429
        for _ in range(5):
            await dispatcher.run_once()
        assert len(receiver.received) == 1  # not before the two minutes it asked for
        clock.advance(timedelta(seconds=121))
        await run_until(dispatcher, lambda: len(receiver.received) == 2)

    async def test_410_gone_disables_the_subscription_at_once(self, client, admin, company,
                                                             receiver, dispatcher):
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        receiver.answer_with(then=(410, {}))
        await _create_customer(client, company.rep)
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        await run_until(dispatcher, lambda: True)
        read = (await client.get(f"/api/v1/webhooks/{subscription['id']}", headers=admin)).json()
        assert read["enabled"] is False and "410" in read["disabled_reason"]
        assert [d["status"] for d in await _deliveries(client, admin, subscription["id"])] == [
            "failed"]
        await _create_customer(client, company.rep, "第二家")
        for _ in range(3):
            await dispatcher.run_once()
        assert len(receiver.received) == 1
        feed = (await client.get("/api/v1/events", headers=admin,
                                 params={"types": "webhook.subscription_disabled"})).json()
        assert feed["items"][-1]["data"]["subscription_id"] == subscription["id"]

    async def test_a_subscription_failing_for_days_is_disabled(self, client, admin, company,
                                                              receiver, dispatcher, clock):
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        receiver.answer_with(then=(500, {}))
        await _create_customer(client, company.rep)
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        failing = (await client.get(f"/api/v1/webhooks/{subscription['id']}",
                                    headers=admin)).json()
        assert failing["enabled"] is True and failing["failing_since"] is not None
        clock.advance(timedelta(hours=121))  # past the default 120 hours
        await _create_customer(client, company.rep, "又一家")
        await run_until(dispatcher, lambda: len(receiver.received) >= 2)
        await run_until(dispatcher, lambda: True)
        read = (await client.get(f"/api/v1/webhooks/{subscription['id']}", headers=admin)).json()
        assert read["enabled"] is False and "failed since" in read["disabled_reason"]

    async def test_rotation_signs_with_both_secrets_during_the_overlap(
            self, client, admin, company, receiver, dispatcher, clock):
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        rotated = await client.post(f"/api/v1/webhooks/{subscription['id']}/rotate-secret",
                                    headers=admin, json={"overlap_hours": 24})
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != subscription["secret"]
        await _create_customer(client, company.rep)
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        during = receiver.received[0]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        during.verified_by(subscription["secret"])
        during.verified_by(new_secret)

        clock.advance(timedelta(hours=25))
        await _create_customer(client, company.rep, "轮换之后")
        await run_until(dispatcher, lambda: len(receiver.received) == 2)
        after = receiver.received[1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        after.verified_by(new_secret)

    async def test_test_message_goes_to_that_subscription_only(self, client, admin, receiver,
                                                              dispatcher):
        subscription = await subscribe(client, admin, receiver.url, ["contract.signed"])
        other = await subscribe(client, admin, receiver.url, ["customer.*"])
        queued = await client.post(f"/api/v1/webhooks/{subscription['id']}/test", headers=admin)
        assert queued.status_code == 202 and queued.json()["event_type"] == "webhook.test"
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        await run_until(dispatcher, lambda: True)
        message = receiver.received[0].verified_by(subscription["secret"])
        assert message["type"] == "webhook.test"
        assert message["data"]["subscription_id"] == subscription["id"]
        assert await _deliveries(client, admin, other["id"]) == []

    async def test_replay_sends_a_range_again_including_events_from_before_the_subscription(
            self, client, admin, company, receiver, dispatcher, clock):
        before = await _create_customer(client, company.rep, "订阅之前")
        subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
        after = await _create_customer(client, company.rep, "订阅之后")
        await run_until(dispatcher, lambda: len(receiver.received) == 1)
        first_id = receiver.ids[0]

        now = clock()
        replayed = await client.post(
            f"/api/v1/webhooks/{subscription['id']}/replay", headers=admin,
            json={"since": (now - timedelta(hours=1)).isoformat(),
                  "until": (now + timedelta(minutes=1)).isoformat()})
        # The company fixture's customer, the one from before, and the one delivered.
        assert replayed.status_code == 202 and replayed.json() == {"queued": 3}
        await run_until(dispatcher, lambda: len(receiver.received) == 4)
        subjects = {r.message["subject"] for r in receiver.received[1:]}
        assert {f"customer:{before['id']}", f"customer:{after['id']}"} <= subjects
        assert first_id in receiver.ids[1:]  # the same message again, same id

        bad = await client.post(f"/api/v1/webhooks/{subscription['id']}/replay", headers=admin,
                                json={"since": now.isoformat(),
                                      "until": (now - timedelta(hours=1)).isoformat()})
        assert bad.status_code == 422

    async def test_deleting_a_subscription_drops_its_deliveries(self, client, admin, company,
                                                               receiver, session):
        subscription = await subscribe(client, admin, receiver.url, ["*"])
        await _create_customer(client, company.rep)
        await client.get("/api/v1/events", headers=admin)  # sequencing fans out
        assert (await session.execute(select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription["id"]))).first() is not None
        await client.delete(f"/api/v1/webhooks/{subscription['id']}", headers=admin)
        session.expire_all()
        assert (await session.execute(select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription["id"]))).first() is None

    async def test_metrics_show_the_backlog(self, client, admin, company, receiver):
        await subscribe(client, admin, receiver.url, ["*"])
        await _create_customer(client, company.rep)
        await client.get("/api/v1/events", headers=admin)
        metrics = (await client.get("/metrics")).text
        assert 'salesflow_webhook_deliveries{status="pending"}' in metrics
        assert "salesflow_webhook_delivery_lag_seconds" in metrics


async def test_an_idempotent_retry_never_gets_the_secret_from_storage(client, admin, receiver,
                                                                     session):
    """The secret is shown once: the idempotency store keeps that the request succeeded
    and where, not its body; a retry with the same key is told so."""
    from app.core.idempotency import IdempotencyRecord

    headers = {**admin, "Idempotency-Key": "create-erp-hook-1"}
    body = {"url": receiver.url, "event_types": ["*"]}
    first = await client.post("/api/v1/webhooks", headers=headers, json=body)
    assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
    again = await client.post("/api/v1/webhooks", headers=headers, json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "idempotency.response_not_kept"
    assert again.headers["location"] == f"/api/v1/webhooks/{first.json()['id']}"
    stored = (await session.execute(select(IdempotencyRecord))).scalars().all()
    assert all(first.json()["secret"].encode() not in (r.body or b"") for r in stored)
    assert len((await client.get("/api/v1/webhooks", headers=admin)).json()["items"]) == 1
