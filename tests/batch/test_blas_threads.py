"""Batch workers hold BLAS to one thread each: a worker per core must not oversubscribe."""

from __future__ import annotations

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    import numpy  # noqa: F401  (loads BLAS)
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_a_pool_worker_runs_blas_on_one_thread():
    from emgkit.batch.runner import process_pool

    with process_pool(1) as ex:  # the pool run_batch(executor="pool") uses
        threads = ex.submit(_blas_threads).result(timeout=120)
    assert threads and set(threads) == {1}
