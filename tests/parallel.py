"""Real threads released together, each with its own database connection: races for tests."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from django.db import connections


def in_parallel(*works: Callable[[], object]) -> list:
    """Runs each callable in its own thread, all released at once; closes their connections."""
    barrier = Barrier(len(works))

    def run(work: Callable[[], object]) -> object:
        try:
            barrier.wait(timeout=30)
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))


def in_parallel_n(count: int, work: Callable[[int], object]) -> list:
    """``work(0)`` … ``work(count - 1)``, each in its own thread (see ``in_parallel``)."""
    return in_parallel(*(lambda i=i: work(i) for i in range(count)))
