"""The summary in sentences, built from the numbers of :mod:`.numbers`.

Sentences say what the normalisation allows:

- ``%MVC``: every muscle against its own maximal contraction, so one muscle can be
  compared with another (the ratios and their "about equal" band, low-back words);
- ``% of peak`` (peak-dynamic): each muscle in % of its own peak over the task trials:
  a muscle can be compared between tasks and repetitions, not with another muscle; an
  index can be compared between tasks (its ratio hinge/squat), not with 1;
- ``µV``: a channel compared with itself between tasks of a session; no indices.

The summary opens with what limits it: the channels whose MVC normalisation is not
interpretable or that were left out (:mod:`emgkit.analysis.mvc_check`), then every
fallback the analysis took, one sentence each with its session. The sentences after
that leave the channels that are not interpretable out (their numbers stay in the
tables, marked), and the indices that use them.

Each sentence is assembled from lists of phrases joined by
:func:`emgkit.report.content.join_items`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgkit.analysis.files import AnalysisRun
from emgkit.analysis.indices import BALANCED_RATIO, low_back_word, ratio_band
from emgkit.analysis.mvc_check import MIN_MVC_REST_RATIO, TASK_MAX_PCT_MVC
from emgkit.report.content import (
    FINDING_GROUPS,
    INDEX_LABEL,
    UNIT_LABEL,
    channel_label,
    fmt,
    join_items,
    p_phrase,
    plural,
    pretty,
    task_label,
)
from emgkit.report.numbers import (
    TASKS,
    comparison_level,
    crosstalk_by_task,
    finite,
    index_values,
    not_interpretable,
    report_unit,
    subjects,
    task_amplitudes,
    task_comparisons,
    task_counts,
    untrusted_indices,
)

#: Words of the group sentences by unit: (more, less, neither, mixed lead) and the
#: per-channel phrases of a mixed group (more, less, neither).
GROUP_WORDS = {
    "pct_mvc": (("The hinge loaded the {g} more than the squat",
                 "The hinge loaded the {g} less than the squat",
                 "The hinge and the squat did not clearly differ for the {g}",
                 "Within the {g}, the hinge loaded "),
                ("more than the squat", "less than the squat", "not clearly differently")),
    "other": (("The {g} were more active in the hinge than in the squat",
               "The {g} were less active in the hinge than in the squat",
               "The {g} were not clearly differently active in the hinge and the squat",
               "Within the {g}, "),
              ("more active in the hinge", "less active in the hinge",
               "not clearly different")),
}
ML_WORDS = ("less than", "about as much as", "more than")
TOP = 3


def findings(run: AnalysisRun, alpha: float = 0.05) -> list[str]:
    """Return the summary in sentences: contents, comparisons, activation, indices.

    Parameters
    ----------
    run : AnalysisRun
        The analysis.
    alpha : float
        A channel differs when its Holm-corrected p is below ``alpha``.
    """
    out = [*check_sentences(run), *fallback_sentences(run), contents_sentence(run)]
    rows = task_comparisons(run)
    if rows.empty:
        out.append(no_comparison_sentence(run))
    else:
        out.append(inference_sentence(run, rows))
        trusted = rows[~rows["channel"].isin(not_interpretable(run))]
        out += group_sentences(trusted, report_unit(run), _groups_of(run), alpha)
    out += task_sentences(run, skip=TASKS if not rows.empty else ())
    out += index_sentences(run)
    return [s for s in out if s]


def _check_phrase(c: dict) -> str:
    return f"{channel_label(c['muscle'], c['side'], c['label'])}: {c['reason']}"


def check_sentences(run: AnalysisRun) -> list[str]:
    """Say, per session, which channels' normalisation is not interpretable and why.

    Channels without a usable reference (left out of %MVC) come first, then those whose
    MVC is not above rest (below ``MIN_MVC_REST_RATIO`` times rest) or whose task mean
    exceeds ``TASK_MAX_PCT_MVC``.
    """
    out = []
    for sm in run.metrics:
        mine = [c for c in run.checks if c["session"] == sm.name and not c["interpretable"]]
        gone = [c for c in mine if c["check"] in ("no_mvc_reference", "no_reference")]
        odd = [c for c in mine if c not in gone]
        if gone:
            out.append(f"{sm.name}: left out of the normalised values (no usable reference; "
                       f"their µV values stay in the metrics table), the rest of the session "
                       f"analysed: {join_items([_check_phrase(c) for c in gone], '; ', '; ')}.")
        if odd:
            out.append(f"{sm.name}: MVC normalisation not interpretable for "
                       f"{join_items([_check_phrase(c) for c in odd], '; ', '; ')} (a "
                       f"reference must exceed {MIN_MVC_REST_RATIO:g} times rest and a task "
                       f"mean stay below {TASK_MAX_PCT_MVC:g} % MVC); their numbers stay in "
                       "the tables, marked, and are not stated as findings.")
    return out


def fallback_sentences(run: AnalysisRun) -> list[str]:
    """Return one sentence per fallback the analysis took, its session named."""
    return [f"{f['session']}: {f['sentence'].rstrip('.')}." for f in run.fallbacks]


def contents_sentence(run: AnalysisRun) -> str:
    """Say who and what the report holds: subjects, sessions, trials and repetitions."""
    subj = subjects(run)
    names = [sm.name for sm in run.metrics]
    who = (f"Subject {subj[0]}" if len(subj) == 1 else
           f"{len(subj)} subjects ({join_items(subj)})")
    items = []
    for task, n_trials, n_reps in task_counts(run):
        item = plural(n_trials, f"{task_label(task)} trial")
        if task not in ("mvc", "rest"):
            item += f" ({plural(n_reps, 'repetition')})" if n_reps else \
                " (no repetitions found)"
        items.append(item)
    where = (f"1 session ({names[0]})" if len(names) == 1
             else f"{len(names)} sessions ({join_items(names)})")
    return f"{who}, {where}: {join_items(items) or 'no trials'}."


def no_comparison_sentence(run: AnalysisRun) -> str:
    """Say why there is no hinge-squat comparison."""
    have = {t for t, _, reps in task_counts(run) if reps}
    missing = [t for t in TASKS if t not in have]
    return ("There is no hinge-squat comparison: the sessions hold no "
            f"{join_items(missing, ' or ')} repetitions.")


def inference_sentence(run: AnalysisRun, rows: pd.DataFrame) -> str:
    """Say what the comparison is: Welch over one subject's repetitions, or paired subjects."""
    if comparison_level(run) == "subjects":
        return (f"Hinge and squat are compared across subjects (subject means), paired by "
                f"subject (paired test over {plural(int(rows['n'].max()), 'subject')} with "
                "both tasks); each subject's mean pools its repetitions over its sessions.")
    pooled = (f", pooled over {len(run.metrics)} sessions" if len(run.metrics) > 1 else "")
    return (f"Hinge and squat are compared across the repetitions of subject "
            f"{subjects(run)[0]} ({int(rows['n_a'].max())} hinge and {int(rows['n_b'].max())} "
            f"squat repetitions{pooled}) as independent samples with Welch's t-test: this is "
            "single-subject inference, about this person in these sessions, not about people "
            "in general.")


def _groups_of(run: AnalysisRun) -> dict[str, str]:
    """Muscle name -> the broadest group it belongs to (the muscle itself if none)."""
    out = {}
    for sm in run.metrics:
        for c in sm.session.montage.channels:
            m = sm.session.montage.muscle(c.muscle)
            out[c.muscle] = m.groups[-1] if m.groups else m.name
    return out


def _detail(r, unit: str) -> str:
    return (f"{channel_label(r.muscle, r.side)} {fmt(r.mean_a)} vs {fmt(r.mean_b)} "
            f"{UNIT_LABEL[unit]}, difference {fmt(r.diff)} (95 % CI {fmt(r.ci_low)} to "
            f"{fmt(r.ci_high)}), g = {fmt(r.hedges_g, 2)}, p {p_phrase(r.p_holm)}")


def group_sentences(rows: pd.DataFrame, unit: str, group_of: dict[str, str],
                    alpha: float = 0.05) -> list[str]:
    """Return one sentence per muscle group: which way the hinge differed from the squat.

    A group differs in one direction when every channel of it does (Holm-corrected p
    below ``alpha``, same sign); otherwise each channel is named with its direction.

    Parameters
    ----------
    rows : pandas.DataFrame
        Comparison rows (``muscle``, ``side``, ``mean_a``, ``mean_b``, ``diff``,
        ``ci_low``, ``ci_high``, ``hedges_g``, ``p_holm``), one per channel.
    unit : str
        ``pct_mvc``, ``pct_peak`` or ``uv``.
    group_of : dict
        Muscle -> group.
    alpha : float
        Level of the Holm-corrected p.
    """
    (more, less, neither, lead), (c_more, c_less, c_neither) = GROUP_WORDS[
        "pct_mvc" if unit == "pct_mvc" else "other"]
    groups: dict[str, list] = {}
    for r in rows.itertuples(index=False):
        groups.setdefault(group_of.get(r.muscle, r.muscle), []).append(r)
    order = sorted(groups, key=lambda g: (FINDING_GROUPS.index(g) if g in FINDING_GROUPS
                                          else len(FINDING_GROUPS), g))
    out = []
    for g in order:
        rs = groups[g]
        detail = join_items([_detail(r, unit) for r in rs], "; ", "; ")
        way = [int(np.sign(r.diff)) if finite(r.p_holm) and r.p_holm < alpha else 0
               for r in rs]
        if set(way) in ({1}, {-1}):
            head = (more if way[0] > 0 else less).format(g=pretty(g))
        elif set(way) == {0}:
            head = neither.format(g=pretty(g))
        else:
            parts = [(join_items(channel_label(r.muscle, r.side) for r, w in zip(rs, way)
                                 if w == k), word)
                     for k, word in ((1, c_more), (-1, c_less), (0, c_neither))]
            head = lead.format(g=pretty(g)) + join_items(f"{who} {word}"
                                                         for who, word in parts if who)
        out.append(f"{head} ({detail}).")
    return out


def task_sentences(run: AnalysisRun, skip=()) -> list[str]:
    """Return one sentence per task (except ``skip``) on its activation per muscle."""
    amp = task_amplitudes(run)
    unit = report_unit(run)
    out = []
    if amp.empty:
        return ["There are no task trials to summarise (only MVC and rest trials); the "
                "normalisation reference of each channel is in the reference table."]
    for task, a in amp.groupby("task", sort=False):
        if task in skip:
            continue
        n, basis = int(a["n"].max()), a["basis"].iloc[0]
        what = {"repetitions": plural(n, "repetition"), "subjects": f"means of "
                f"{plural(n, 'subject')}", "trials": f"{plural(n, 'whole trial')}, no "
                "repetitions found"}[basis]
        where = f"In the {task_label(task)} ({what})"
        if unit != "pct_mvc":
            own = ("% of each muscle's own peak over the task trials" if unit == "pct_peak"
                   else "µV, which depend on each electrode and the skin under it")
            out.append(f"{where}, the activation of each muscle is in the table per task, in "
                       f"{own}: it compares a muscle between repetitions and tasks, not one "
                       "muscle with another.")
            continue
        a = a[a["mean"].notna() & ~a["name"].isin(not_interpretable(run))]
        if a.empty:
            continue
        a = a.sort_values("mean", ascending=False, kind="stable")
        top = [f"{channel_label(r.muscle, r.side, r.label)} at {fmt(r.mean)} %MVC"
               for r in a.head(TOP).itertuples(index=False)]
        low = a.iloc[-1]
        tail = (f"; the least active was {channel_label(low.muscle, low.side, low.label)} at "
                f"{fmt(low['mean'])} %MVC" if len(a) > TOP else "")
        out.append(f"{where}, the most active {'muscles were' if len(top) > 1 else 'was'} "
                   f"{join_items(top)}{tail}.")
    return out


def _by_task(vals: pd.DataFrame, name: str, skip=()) -> dict[tuple[str, str], float]:
    v = vals[vals["index_name"] == name]
    return {(r.task, r.side): r.mean for r in v.itertuples(index=False)
            if (r.side, name) not in skip}


def index_sentences(run: AnalysisRun) -> list[str]:
    """Return the sentences on the indices that the normalisation allows."""
    unit = report_unit(run)
    vals = index_values(run)
    if unit == "uv":
        return ["Amplitudes are in µV: without a common reference one muscle's amplitude "
                "says nothing about another's, so no indices (ratios between muscles) are "
                "given."]
    if vals.empty:
        return []
    if unit == "pct_peak":
        return _peak_index_sentences(vals)
    out = []
    skip = untrusted_indices(run)
    ml = _by_task(vals, "medial_lateral_hamstrings", skip)
    parts = []
    for task in dict.fromkeys(t for t, _ in ml):
        by_word: dict[str, list[str]] = {}
        for (t, side), x in sorted(ml.items()):
            if t == task and finite(x):
                by_word.setdefault(ML_WORDS[ratio_band(x) + 1], []).append(f"{fmt(x, 2)} {side}")
        parts += [f"{word} the lateral hamstrings in the {task_label(task)} (medial:lateral "
                  f"{join_items(xs)})" for word, xs in by_word.items()]
    if parts:
        out.append(f"The medial hamstrings worked {join_items(parts)}.")
    out += crosstalk_sentences(ml, crosstalk_by_task(run))
    hq = _by_task(vals, "hamstrings_quadriceps", skip)
    if hq:
        out.append("The hamstring:quadriceps ratio was " + join_items(
            f"{fmt(x, 2)} in the {task_label(t)} ({side})" for (t, side), x in hq.items())
            + " (above 1: the hamstrings worked harder than the quadriceps, each in %MVC).")
    lo, hi = BALANCED_RATIO
    for (task, side), x in _by_task(vals, "low_back_dominance", skip).items():
        if task == "hinge" and finite(x):
            out.append(f"{low_back_word(x).capitalize()} hinge ({side} side): low-back "
                       f"dominance {fmt(x, 2)} (erector spinae over the mean of gluteus "
                       f"maximus and hamstrings; below {lo:g} the hips did more of the work, "
                       f"above {hi:g} the low back).")
    return out


def crosstalk_sentences(ml: dict, crosstalk: dict) -> list[str]:
    """Note each medial:lateral ratio that crosstalk could explain.

    A ratio ``x`` of a task and side whose hamstring pair was flagged ``crosstalk``
    (correlation ``r`` near zero lag) with ``|x - 1| <= r``: a shared part of the signal
    as large as ``r`` pulls two channels' amplitudes towards each other, so a difference
    this small may be made, or hidden, by crosstalk.
    """
    out = []
    for (task, side), x in sorted(ml.items()):
        r = crosstalk.get((task, side))
        if r is None or not finite(x) or abs(x - 1) > r:
            continue
        out.append(f"The medial:lateral ratio of the {task_label(task)} on the {side} side "
                   f"({fmt(x, 2)}) lies within what crosstalk could explain: the medial and "
                   f"lateral hamstring signals correlate at r = {fmt(r, 2)} near zero lag "
                   "(flag crosstalk), so each electrode may carry part of the other muscle's "
                   "signal, which pulls the ratio towards 1.")
    return out


def _peak_index_sentences(vals: pd.DataFrame) -> list[str]:
    out = ["Under peak-dynamic normalisation each muscle is in % of its own peak, so an index "
           "(a ratio between muscles) says nothing about one muscle against another; it can "
           "only be compared between tasks."]
    for name in INDEX_LABEL:
        v = _by_task(vals, name)
        items = []
        for side in sorted({s for _, s in v}):
            h, s = v.get(("hinge", side)), v.get(("squat", side))
            if finite(h) and finite(s) and s > 0:
                items.append(f"{fmt(h / s, 2)} times as high in the hinge as in the squat on "
                             f"the {side} side ({fmt(h, 2)} vs {fmt(s, 2)})")
        if items:
            out.append(f"The {INDEX_LABEL[name]} ratio was {join_items(items)}.")
    return out if len(out) > 1 else []
