"""Tuning a serving process applies to itself once it has started."""

import gc

# CPython starts a young collection every 700 net allocations of container objects, and
# every tenth of those goes on to the older generations. Serving allocates many short-lived
# objects, so on the approval benchmark the collector ran several times per decision and,
# through its older-generation passes over a heap of SQLAlchemy and pydantic structures,
# took 9% of the API worker's CPU. Freezing the start-up heap brought that to 5.6%, and
# collecting every 7000 to 0.2% (bench/README.md).
YOUNG_COLLECTION_EVERY = 7000


def settle_heap() -> None:
    """Freeze what start-up built (modules, the app, mappers, schemas) so collections no
    longer traverse it, and collect the young generation less often. Cycles made while
    serving are still found by the same generational collections, just fewer of them."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
