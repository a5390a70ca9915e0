"""Batch workers run one thread each: a worker per core must not oversubscribe."""

from __future__ import annotations

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")


def _threads() -> tuple[list[int], int]:
    import numpy  # noqa: F401  (loads BLAS)
    from threadpoolctl import threadpool_info

    from emgkit.core.parallel import thread_count

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"], \
        thread_count()


def test_a_pool_worker_runs_blas_and_the_analysis_on_one_thread():
    from emgkit.batch.runner import process_pool

    with process_pool(1) as ex:  # the pool run_batch(executor="pool") uses
        blas, analysis = ex.submit(_threads).result(timeout=120)
    assert blas and set(blas) == {1}
    assert analysis == 1
