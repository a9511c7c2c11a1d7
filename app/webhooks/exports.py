"""The webhook subscriptions and a subscription's delivery log as files
(`GET /webhooks?format=…`, `GET /webhooks/{id}/deliveries?format=…`), for the integrator
reconciling what the ERP received. Never the secret; a delivery's body is left out (it is
the event, read from the feed), its outcome is in."""

from app.core.export import Column, Export

WEBHOOKS = Export("webhooks", "Webhook订阅", [
    Column("id", "Subscription", "订阅ID", "integer"),
    Column("url", "URL", "接收地址"),
    Column("description", "Description", "说明"),
    Column("event_types", "Event types", "事件类型", get=lambda s: " ".join(s.event_types)),
    Column("enabled", "Enabled", "启用", "bool"),
    Column("disabled_at", "Disabled", "停用时间", "datetime"),
    Column("disabled_reason", "Why disabled", "停用原因"),
    Column("failing_since", "Failing since", "连续失败起始", "datetime"),
    Column("created_by", "Created by", "创建人"),
    Column("created_at", "Created", "创建时间", "datetime"),
])

WEBHOOK_DELIVERIES = Export("webhook-deliveries", "Webhook投递记录", [
    Column("id", "Delivery", "投递ID", "integer"),
    Column("event_id", "Message ID (webhook-id)", "消息ID"),
    Column("event_type", "Event type", "事件类型"),
    Column("status", "Status", "状态", "state"),
    Column("attempts", "Attempts", "尝试次数", "integer"),
    Column("last_attempt_at", "Last attempt", "最近尝试时间", "datetime"),
    Column("last_status_code", "Last HTTP status", "最近响应码", "integer"),
    Column("last_latency_ms", "Last latency (ms)", "最近耗时(毫秒)", "number"),
    Column("last_error", "Last error", "最近错误"),
    Column("next_attempt_at", "Next attempt", "下次尝试时间", "datetime"),
    Column("delivered_at", "Delivered", "送达时间", "datetime"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
