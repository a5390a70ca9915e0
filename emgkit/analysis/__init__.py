"""Analysis: quality of stored trials, repetitions, metrics, comparisons, statistics.

>>> sm = analyse_session(session)                      # doctest: +SKIP
>>> metrics_table([sm]); comparisons_table(compare([sm]))   # doctest: +SKIP

See ``docs/methods.md`` for every default, its citation, and the statistics.
"""

from emgkit.analysis.comparisons import compare
from emgkit.analysis.indices import INDICES, side_indices
from emgkit.analysis.metrics import (
    SessionMetrics,
    TrialMetrics,
    analyse_session,
    session_reference,
    trial_metrics,
)
from emgkit.analysis.segmentation import (
    Repetition,
    ensemble,
    segment_trial,
    threshold_segments,
    time_normalise,
)
from emgkit.analysis.stats import PairedResult, holm, paired_compare
from emgkit.analysis.tables import (
    comparisons_table,
    curves_table,
    indices_table,
    metrics_table,
)

__all__ = [
    "INDICES",
    "PairedResult",
    "Repetition",
    "SessionMetrics",
    "TrialMetrics",
    "analyse_session",
    "compare",
    "comparisons_table",
    "curves_table",
    "ensemble",
    "holm",
    "indices_table",
    "metrics_table",
    "paired_compare",
    "segment_trial",
    "session_reference",
    "side_indices",
    "threshold_segments",
    "time_normalise",
    "trial_metrics",
]
