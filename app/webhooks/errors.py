from app.core.errors import Conflict, NotFound, UnprocessableEntity


class SubscriptionNotFound(NotFound):
    code = "webhook.not_found"
    title = "Webhook subscription not found"


class DeliveryNotFound(NotFound):
    code = "webhook.delivery_not_found"
    title = "Webhook delivery not found"


class UnknownEventType(UnprocessableEntity):
    code = "webhook.unknown_event_type"
    title = "No such event type"


class DeliveryInFlight(Conflict):
    code = "webhook.delivery_in_flight"
    title = "The delivery is being attempted right now; retry when it has finished"


class SubscriptionDisabled(Conflict):
    code = "webhook.disabled"
    title = "The subscription is disabled; enable it first"
