"""Batch reprocessing of many session files on local processes or a Dask cluster.

See :mod:`emgkit.batch.runner` and ``docs/batch.md``.
"""

from emgkit.batch.runner import (
    BatchResult,
    SessionResult,
    config_sha256,
    find_sessions,
    process_session,
    run_batch,
)

__all__ = ["BatchResult", "SessionResult", "config_sha256", "find_sessions",
           "process_session", "run_batch"]
