"""The thread budget of the offline analysis, and the map that keeps within it."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from emgkit.core import parallel


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_count", lambda: 4)
    monkeypatch.delenv("EMGKIT_THREADS", raising=False)


def test_thread_count_is_the_cpus_within_the_limit(four_cpus):
    assert parallel.thread_count() == 4
    with parallel.limit_threads(1):
        assert parallel.thread_count() == 1
        with parallel.limit_threads(2):
            assert parallel.thread_count() == 2
        assert parallel.thread_count() == 1
    assert parallel.thread_count() == 4
    from emgkit.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 1, but got 0"):
        parallel.set_thread_limit(0)


def test_the_environment_limits_the_threads(four_cpus, monkeypatch):
    from emgkit.errors import ConfigError

    monkeypatch.setenv("EMGKIT_THREADS", "2")
    assert parallel.thread_count() == 2
    with parallel.limit_threads(1):  # a batch worker's own limit wins
        assert parallel.thread_count() == 1
    monkeypatch.setenv("EMGKIT_THREADS", "16")
    assert parallel.thread_count() == 4
    for bad in ("0", "two", "-1", "1.5", "\u00b2"):
        monkeypatch.setenv("EMGKIT_THREADS", bad)
        with pytest.raises(ConfigError, match="EMGKIT_THREADS must be a whole number"):
            parallel.thread_count()


def test_map_threads_keeps_order_and_its_thread_budget():
    running, most = 0, 0
    lock = threading.Lock()

    def work(i, delay):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(delay)
        with lock:
            running -= 1
        return i * i

    items = [(i, 0.02 * (i % 3)) for i in range(12)]
    assert parallel.map_threads(work, items, 3) == [i * i for i in range(12)]
    assert most <= 3
    most = 0
    assert parallel.map_threads(work, items, 1) == [i * i for i in range(12)]
    assert most == 1


def test_threads_start_no_threads_and_limits_stay_in_their_thread(four_cpus):
    """Work handed to a thread runs on one thread; a limit set in one thread (a Dask task)
    does not change another's."""
    inner = parallel.map_threads(lambda i: parallel.thread_count(), [(i,) for i in range(4)])
    assert inner == [1, 1, 1, 1]
    assert parallel.thread_count() == 4
    seen = {}

    def task(name, n):
        with parallel.limit_threads(n):
            time.sleep(0.05)
            seen[name] = parallel.thread_count()

    a = threading.Thread(target=task, args=("a", 1))
    b = threading.Thread(target=task, args=("b", 3))
    a.start(), b.start(), a.join(), b.join()
    assert seen == {"a": 1, "b": 3}
    assert parallel.thread_count() == 4


def test_map_threads_raises_the_first_error_and_skips_the_rest():
    ran = []

    def work(i):
        ran.append(i)
        if i == 1:
            raise RuntimeError("segment 1 is damaged")
        time.sleep(0.05)
        return i

    with pytest.raises(RuntimeError, match="segment 1"):
        parallel.map_threads(work, [(i,) for i in range(40)], 2)
    assert len(ran) < 40


def test_beside_runs_both_at_once_with_the_callers_limit(four_cpus):
    """The other call runs in its own thread meanwhile and keeps the caller's limit (it may
    start threads of its own); with one thread it runs first, in this thread."""
    started = threading.Event()
    seen = {}

    def there():
        seen["there"] = (threading.current_thread() is threading.main_thread(),
                         parallel.thread_count())
        started.set()
        return "quality"

    def here():
        seen["here_waited"] = started.wait(5)  # would time out if run one after the other
        return "filtered"

    with parallel.limit_threads(3):
        assert parallel.beside(here, there) == ("filtered", "quality")
    assert seen == {"there": (False, 3), "here_waited": True}
    order = []
    with parallel.limit_threads(1):
        assert parallel.beside(lambda: order.append("here") or 1,
                               lambda: order.append("there") or 2) == (1, 2)
    assert order == ["there", "here"]


@pytest.mark.parametrize("threads", [1, 2])
def test_beside_raises_the_error_of_the_one_thread_order(four_cpus, threads):
    def fails(what):
        def call():
            time.sleep(0.02)
            raise RuntimeError(what)
        return call

    with parallel.limit_threads(threads):
        with pytest.raises(RuntimeError, match="quality") as raised:
            parallel.beside(fails("filtering"), fails("quality"))
        if threads > 1 and sys.version_info >= (3, 11):  # the other error is not lost
            assert raised.value.__notes__ == ["meanwhile: RuntimeError: filtering"]
        with pytest.raises(RuntimeError, match="filtering"):
            parallel.beside(fails("filtering"), lambda: 1)
        with pytest.raises(RuntimeError, match="quality"):
            parallel.beside(lambda: 1, fails("quality"))


def _cgroup(tmp_path, lines, files):
    proc = tmp_path / "cgroup"
    proc.write_text("\n".join(lines) + "\n")
    root = tmp_path / "fs"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return proc, root


@pytest.mark.parametrize(("lines", "files", "expected"), [
    # cgroup v2, the process's own cgroup capped at 1.5 CPUs, its parent at 4
    (["0::/lab/job"], {"lab/job/cpu.max": "150000 100000\n", "lab/cpu.max": "400000 100000\n",
                       "cpu.max": "max 100000\n"}, 1.5),
    (["0::/"], {"cpu.max": "max 100000\n"}, None),
    # a container: its cgroup is named after the host's, its folder is the root
    (["0::/docker/3f2a"], {"cpu.max": "200000 100000\n"}, 2.0),
    # v2 in a hybrid layout (unified/), v1 controllers beside it
    (["1:cpu,cpuacct:/", "0::/"], {"unified/cpu.max": "250000 100000\n",
                                   "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                                   "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 2.5),
    # cgroup v1 named cpuacct,cpu in /proc but mounted as cpu,cpuacct (CentOS 7)
    (["3:cpuacct,cpu:/"], {"cpu,cpuacct/cpu.cfs_quota_us": "300000\n",
                           "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 3.0),
    # cgroup v1: the parent's quota is tighter
    (["4:memory:/x", "2:cpu,cpuacct:/a/b"], {"cpu,cpuacct/a/b/cpu.cfs_quota_us": "-1\n",
                                             "cpu,cpuacct/a/b/cpu.cfs_period_us": "100000\n",
                                             "cpu,cpuacct/a/cpu.cfs_quota_us": "50000\n",
                                             "cpu,cpuacct/a/cpu.cfs_period_us": "100000\n"},
     0.5),
    (["garbage", "0::/"], {"cpu.max": "nonsense\n"}, None),
])
def test_the_cgroup_cpu_quota_is_read(tmp_path, lines, files, expected):
    proc, root = _cgroup(tmp_path, lines, files)
    assert parallel.cgroup_cpu_limit(proc, root) == expected
    assert parallel.cgroup_cpu_limit(tmp_path / "absent", root) is None


def test_a_cpu_quota_caps_the_threads(monkeypatch):
    """A container capped at 1.5 CPUs on a larger machine gets 2 threads, at 0.5 one."""
    monkeypatch.delenv("EMGKIT_THREADS", raising=False)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(64)))
    for limit, cpus, threads in ((None, 64, 4), (1.5, 2, 2), (0.5, 1, 1), (3.0, 3, 3)):
        monkeypatch.setattr(parallel, "_own_cpu_limit", lambda limit=limit: limit)
        assert parallel.cpu_count() == cpus
        assert parallel.thread_count() == threads


def test_an_interrupt_is_raised_at_once(four_cpus):
    """Ctrl-C in this thread does not wait for the other phase, nor turn into its error."""
    release, finished = threading.Event(), threading.Event()

    def there():
        release.wait(30)
        finished.set()
        raise ValueError("quality")

    def here():
        raise KeyboardInterrupt

    try:
        with parallel.limit_threads(2), pytest.raises(KeyboardInterrupt):
            parallel.beside(here, there)
        assert not finished.is_set()
    finally:
        release.set()


def test_threads_within_a_budget_of_samples():
    """An hour at 2 kHz (7.2 M samples a channel) fits two at a time in 16 M; 10 minutes
    at 16 kHz (9.6 M) one; short items as many as wanted; an empty item counts as one."""
    budget = 16 * 2**20
    assert parallel.threads_within(7_200_000, budget) == 2
    assert parallel.threads_within(9_600_000, budget) == 1
    assert parallel.threads_within(40_000_000, budget) == 1
    assert parallel.threads_within(1_000, budget) == budget // 1_000
    assert parallel.threads_within(0, budget) == budget
