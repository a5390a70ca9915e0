"""Analysis: quality of stored trials, repetitions, metrics, comparisons, statistics."""
