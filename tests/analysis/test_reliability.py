"""ICC on Shrout & Fleiss's example; repetition CV and SEM; MVC trials of a session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emgkit.analysis.reliability import icc, repetition_reliability

#: Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                 [6, 2, 4, 7]]


def test_icc_shrout_fleiss_table_2():
    r = icc(SHROUT_FLEISS)
    # Published: ICC(2,1) = .29, ICC(3,1) = .71; McGraw & Wong CI of ICC(A,1): [.02, .76].
    assert r.icc_2_1 == pytest.approx(0.2898, abs=5e-4)
    assert r.icc_3_1 == pytest.approx(0.7148, abs=5e-4)
    assert (round(r.ci_low, 2), round(r.ci_high, 2)) == (0.02, 0.76)
    assert r.sem == pytest.approx(np.sqrt(1.0194), abs=1e-3)
    assert (r.n, r.k) == (6, 4)


def test_icc_refuses_a_single_subject():
    with pytest.raises(ValueError, match="n >= 2"):
        icc([[1.0, 2.0]])


def test_repetition_cv_and_sem():
    v = [30.0, 33.0, 27.0, 30.0]
    df = pd.DataFrame({"subject": "s1", "task": "hinge", "muscle": "semitendinosus",
                       "side": "left", "label": "", "rep_method": "markers",
                       "mean_pct_mvc": v})
    (row,) = repetition_reliability(df)
    assert row["sem"] == pytest.approx(np.std(v, ddof=1))
    assert row["cv_pct"] == pytest.approx(100 * np.std(v, ddof=1) / 30.0)
    assert row["n_reps"] == 4
