from app.core.errors import UnprocessableEntity


class InvalidRange(UnprocessableEntity):
    code = "report.invalid_range"
    title = "The range ends before it starts"
