"""Which event types a subscription receives: exact types, a family (`contract.*`) or all."""

from collections.abc import Iterable


def matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
