from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class DeliveryNotFound(NotFound):
    code = "delivery.not_found"
    title = "Delivery not found"


class DeliveryForbidden(Forbidden):
    code = "delivery.forbidden"
    title = "Your roles may read this delivery but not do this to it"


class UnknownOrder(UnprocessableEntity):
    code = "delivery.unknown_order"
    title = "The order does not exist or is not one you see"


class UnknownOrderLine(UnprocessableEntity):
    code = "delivery.unknown_order_line"
    title = "A line names an order line that is not on this order"


class UnknownDeliveryLine(UnprocessableEntity):
    code = "delivery.unknown_line"
    title = "A line names a delivery line that is not on this delivery"


class OrderNotDeliverable(Conflict):
    code = "delivery.order_not_deliverable"
    title = "Only a confirmed or partially delivered order is delivered"


class OrderClosed(Conflict):
    code = "delivery.order_closed"
    title = "The order is closed or cancelled: its deliveries can no longer change it"


class ExceedsUndelivered(Conflict):
    code = "delivery.exceeds_undelivered"
    title = "A line asks for more than the order still has to deliver"


class ExceedsReturnable(Conflict):
    code = "delivery.exceeds_returnable"
    title = "A line returns more than was shipped on it and not yet returned"


class DateInFuture(UnprocessableEntity):
    code = "delivery.date_in_future"
    title = "A shipment, receipt or return is recorded once it has happened"


class DateBeforeShipment(UnprocessableEntity):
    code = "delivery.date_before_shipment"
    title = "Goods are received or returned on or after the day they were shipped"
