"""Timeline scenarios: rep.zhang's customer with documents of every kind, made through the
API (the receivables desk ships confirmed orders, which issues their receivables)."""

import pytest

from tests.deliveries.conftest import clock, shop  # noqa: F401
from tests.receivables.conftest import desk  # noqa: F401


@pytest.fixture(autouse=True)
def _stopped_clock(clock):  # noqa: F811
    """The service's clock stands at 2026-03-10 10:00 in Shanghai: visits planned later are
    to come, whatever the documents' own creation times."""
    return clock
