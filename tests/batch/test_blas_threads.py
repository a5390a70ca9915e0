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


def test_a_dask_task_runs_the_analysis_on_one_thread(monkeypatch):
    """Also in a worker that the batch did not start (``--scheduler``)."""
    from emgkit.batch import runner
    from emgkit.core import parallel

    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    monkeypatch.delenv("EMGKIT_THREADS", raising=False)
    monkeypatch.setattr(runner, "process_session", lambda *job: parallel.thread_count())
    assert runner._one_thread_session("a.h5", "a") == 1
    assert parallel.thread_count() == 2


def test_a_restarted_dask_worker_is_set_up_again():
    """The local cluster's workers are set up by a plugin: a worker that its nanny
    restarts (forked from the forkserver, whose BLAS has a thread per core) runs BLAS on
    one thread again."""
    pytest.importorskip("distributed")
    from emgkit.batch import runner

    def blas_threads():  # defined here: sent to the worker by value
        from threadpoolctl import threadpool_info

        return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})

    with runner._dask_client(None, 1) as client:
        client.register_plugin(runner._worker_plugin())
        before = list(client.run(blas_threads).values())
        client.restart(timeout=120)  # a slow, loaded machine may take a while
        after = list(client.run(blas_threads).values())
        plugins = list(client.run(lambda dask_worker: sorted(dask_worker.plugins)).values())
    assert before == [[1]] and after == [[1]]
    assert runner.WORKER_PLUGIN in plugins[0]
