"""Order scenarios on the company of tests/company.py: a logistics reviewer besides its
finance, legal, heads and GM, and the helpers of tests/factories/orders.py."""

import pytest

from tests.factories.orders import Shop


@pytest.fixture
def logistics(headers_for) -> dict:
    return headers_for("logistics", sub="log.zhao")


@pytest.fixture
def shop(client, company, logistics) -> Shop:
    deciders = {"finance": company.finance, "logistics": logistics, "legal": company.legal,
                "head": company.head, "vp": company.vp, "gm": company.gm,
                "board": company.board}
    return Shop(client, company, logistics, deciders)
