import pytest

from tests.factories.plans import Planner


@pytest.fixture
def planner(client, company) -> Planner:
    return Planner(client, company)
