"""The report's figures (matplotlib, Agg; no pyplot state).

Each function returns a :class:`matplotlib.figure.Figure` or None when the data do not
allow it; :func:`report_figures` returns them all with ids, titles and captions. Text in
figures is drawn with mathtext off, so a ``$`` in a name is just a character.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from emgkit.analysis.files import AnalysisRun
from emgkit.analysis.metrics import NOT_DYNAMIC
from emgkit.analysis.palette import TASK_COLOURS, task_colour
from emgkit.report.content import UNIT_LABEL, channel_label, task_label
from emgkit.report.numbers import (
    channel_name,
    channel_order,
    comparison_level,
    report_unit,
    task_amplitudes,
    task_order,
    task_rows,
)

#: The task colours (one definition: :data:`emgkit.analysis.palette.TASK_COLOURS`).
COLORS = TASK_COLOURS
RC = {"text.parse_math": False, "font.size": 8.5, "axes.titlesize": 9,
      "axes.spines.top": False, "axes.spines.right": False}


@dataclass
class ReportFigure:
    """A figure with its anchor, title and caption."""

    id: str
    title: str
    caption: str
    figure: Figure
    _png: bytes | None = None

    def png(self, dpi: int = 110) -> bytes:
        """Return the figure as PNG bytes (rendered once)."""
        if self._png is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(self.figure)
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png", dpi=dpi)
            self._png = buf.getvalue()
        return self._png


def _grid(n: int, ncols: int = 4, w: float = 2.3, h: float = 1.9):
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(0.6 + w * ncols, 0.5 + h * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _colour(run_tasks: list[str]):
    others = tuple(t for t in run_tasks if t not in TASK_COLOURS)
    return lambda task: task_colour(task, others)


def bars(run: AnalysisRun) -> Figure | None:
    """Plot the mean amplitude per muscle and task with its SD (the table per task)."""
    amp = task_amplitudes(run)
    if amp.empty:
        return None
    chans = list(dict.fromkeys(zip(amp["name"], amp["muscle"], amp["side"], amp["label"])))
    x = np.arange(len(chans))
    fig = Figure(figsize=(max(6.0, 0.8 * len(chans) + 1.5), 3.6), layout="constrained")
    ax = fig.add_subplot()
    tasks = task_order(amp["task"])
    colour = _colour(tasks)
    width = 0.8 / max(len(tasks), 1)
    for k, task in enumerate(tasks):
        a = amp[amp["task"] == task].set_index("name")
        mean = [a.loc[c, "mean"] if c in a.index else np.nan for c, *_ in chans]
        sd = [a.loc[c, "mean_sd"] if c in a.index else np.nan for c, *_ in chans]
        ax.bar(x + (k - (len(tasks) - 1) / 2) * width, mean, width, yerr=np.nan_to_num(sd),
               color=colour(task), label=task_label(task), capsize=2, error_kw={"lw": 0.8})
    ax.set_xticks(x, [channel_label(m, s, lb).replace(" (", "\n(") for _, m, s, lb in chans],
                  rotation=0, fontsize=7)
    ax.set_ylabel(f"mean amplitude ({UNIT_LABEL[report_unit(run)]})")
    spread = "subjects" if comparison_level(run) == "subjects" else "repetitions"
    ax.set_title(f"Mean activation per muscle and task (error bars: SD across {spread})")
    ax.legend(frameon=False)
    return fig


def curve_tasks(run: AnalysisRun) -> list[str]:
    """Return the tasks with ensemble curves, in report order."""
    cur = run.tables["curves"]
    return task_order(cur.loc[~cur["task"].isin(NOT_DYNAMIC), "task"])


def _curves(run: AnalysisRun):
    """Return the ensemble curves pooled over trials: (task, channel name) -> (mean, sd).

    A trial's curve weighs by its repetitions; the SD pools the trials' SDs and the spread
    of their means (the SD over all repetitions, ``ddof=0`` within trials).
    """
    cur = run.tables["curves"]
    cur = cur[~cur["task"].isin(NOT_DYNAMIC)]
    labels = cur["label"].fillna("").astype(str) if "label" in cur else ""
    cur = cur.assign(name=[channel_name(*k) for k in zip(cur["muscle"], cur["side"], labels)])
    out = {}
    for (task, name), g in cur.groupby(["task", "name"], sort=False):
        parts = [d.sort_values("pct_time") for _, d in g.groupby(["session", "trial"])]
        w = np.array([float(d["n_reps"].iloc[0]) for d in parts])[:, None]
        m = np.stack([d["mean"].to_numpy(float) for d in parts])
        sd = np.stack([d["sd"].to_numpy(float) for d in parts])
        mean = (w * m).sum(0) / w.sum()
        var = (w * (sd**2 + (m - mean) ** 2)).sum(0) / w.sum()
        out[(task, name)] = (mean, np.sqrt(var))
    return out


def spm_clusters(run: AnalysisRun) -> dict[str, list[tuple[float, float, str]]]:
    """Return the significant SPM clusters by channel name: ``(start_pct, end_pct, task)``.

    ``task`` is the higher one (``hinge > squat``: hinge). Clusters with ``p`` below the
    run's alpha only; none when the run has no ``spm`` table.
    """
    spm = run.tables.get("spm")
    if spm is None or spm.empty:
        return {}
    alpha = getattr(run, "alpha", 0.05)
    sig = spm[(spm["cluster"] > 0) & (spm["p"].astype(float) < alpha)]
    out: dict[str, list] = {}
    for r in sig.itertuples(index=False):
        a, op, b = [*str(r.direction).split(" ", 2), "", ""][:3]
        if op not in (">", "<"):
            continue
        name = channel_name(r.muscle, r.side, "" if r.label != r.label else str(r.label))
        out.setdefault(name, []).append((float(r.start_pct), float(r.end_pct),
                                         a if op == ">" else b))
    return out


def ensembles(run: AnalysisRun) -> Figure | None:
    """Plot ensemble curves over the normalised repetition, the tasks overlaid.

    The SPM clusters (:func:`spm_clusters`) are shaded in the colour of the higher task.
    """
    curves = _curves(run)
    if not curves:
        return None
    chans = [c for c in channel_order(run) if any((t, c[0]) in curves for t, _ in curves)]
    tasks = curve_tasks(run)
    colour = _colour(tasks)
    fig, axes = _grid(len(chans))
    unit = UNIT_LABEL[report_unit(run)]
    clusters = spm_clusters(run)
    for ax, (name, muscle, side, label) in zip(axes, chans):
        for start, end, higher in clusters.get(name, ()):
            ax.axvspan(start, end, color=colour(higher), alpha=0.12, lw=0, zorder=0)
        for task in tasks:
            if (task, name) not in curves:
                continue
            m, s = curves[(task, name)]
            t = np.linspace(0, 100, m.size)
            ax.plot(t, m, color=colour(task), lw=1.3, label=task_label(task))
            ax.fill_between(t, m - s, m + s, color=colour(task), alpha=0.2, lw=0)
        ax.set_title(channel_label(muscle, side, label))
        ax.set_ylabel(unit)
    for ax in axes[-4:]:
        ax.set_xlabel("% of repetition")
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle(f"Ensemble curves (mean ± SD over repetitions): "
                 f"{' vs '.join(task_label(t) for t in tasks)}")
    return fig


def _in_group(run: AnalysisRun, muscle: str, group: str) -> bool:
    montage = next(sm.session.montage for sm in run.metrics
                   if muscle in {c.muscle for c in sm.session.montage.channels})
    return group in montage.muscle(muscle).groups


def medial_lateral(run: AnalysisRun) -> Figure | None:
    """Plot medial vs lateral hamstring curves, one panel per task and side."""
    curves = _curves(run)
    chans = channel_order(run)
    med = [c for c in chans if _in_group(run, c[1], "medial_hamstrings")]
    lat = [c for c in chans if _in_group(run, c[1], "lateral_hamstrings")]
    tasks = curve_tasks(run)
    colour = _colour(tasks)
    panels = [(task, side) for task in tasks for side in sorted({c[2] for c in med})
              if any((task, c[0]) in curves for c in med)]
    if not med or not lat or not panels:
        return None
    fig, axes = _grid(len(panels), ncols=2, w=3.4, h=2.4)
    unit = UNIT_LABEL[report_unit(run)]
    for ax, (task, side) in zip(axes, panels):
        for group, style in ((med, "-"), (lat, "--")):
            for name, muscle, c_side, label in group:
                if c_side != side or (task, name) not in curves:
                    continue
                mean, sd = curves[(task, name)]
                t = np.linspace(0, 100, mean.size)
                ax.plot(t, mean, style, color=colour(task), lw=1.4,
                        label=channel_label(muscle, c_side, label))
                ax.fill_between(t, mean - sd, mean + sd, color=colour(task), alpha=0.12,
                                lw=0)
        ax.set_title(f"{task_label(task)}, {side} side")
        ax.set_xlabel("% of repetition")
        ax.set_ylabel(unit)
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle("Medial (solid) vs lateral (dashed) hamstrings")
    return fig


def trends(run: AnalysisRun) -> Figure | None:
    """Plot per-repetition trends: mean amplitude and median frequency (fatigue)."""
    mcol = {"pct_mvc": "mean_pct_mvc", "pct_peak": "mean_pct_peak", "uv": "mean_uv"}[
        report_unit(run)]
    mt = task_rows(run)
    mt = mt[mt["rep"] > 0]
    tasks = task_order(mt["task"])
    if not tasks:
        return None
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    axes = fig.subplots(2, len(tasks), squeeze=False, sharex="col")
    cmap = matplotlib.colormaps["tab10"]
    chans = [c for c in channel_order(run) if c[0] in set(mt["name"])]
    for j, task in enumerate(tasks):
        d = mt[mt["task"] == task]
        for k, (name, mus, side, label) in enumerate(chans):
            g = d[d["name"] == name].groupby("rep")[[mcol, "median_freq_hz"]].mean()
            for i, col in enumerate((mcol, "median_freq_hz")):
                axes[i, j].plot(g.index, g[col], "o-", ms=3, lw=1, color=cmap(k % 10),
                                label=channel_label(mus, side, label))
        axes[0, j].set_title(task_label(task))
        axes[0, j].set_ylabel(f"mean ({UNIT_LABEL[report_unit(run)]})")
        axes[1, j].set_ylabel("median frequency (Hz)")
        axes[1, j].set_xlabel("repetition")
    axes[0, -1].legend(frameon=False, fontsize=6.5, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("Per-repetition trends (fatigue: rising amplitude, falling median frequency)")
    return fig


def quality_map(run: AnalysisRun) -> Figure | None:
    """Plot the quality heat map: channels x trials, coloured by the number of flags."""
    chans = channel_order(run)
    names = [c[0] for c in chans]
    cols, labels = [], []  # per trial: flags by channel row (None: not in that montage)
    for sm in run.metrics:
        for tm in sm.trials:
            mine = {c.name: f for c, f in zip(sm.session.montage.channels, tm.qc_flags)}
            cols.append([mine.get(n) for n in names])
            prefix = f"{sm.name}/" if len(run.metrics) > 1 else ""
            labels.append(f"{prefix}{tm.trial.id} {tm.trial.task.name}")
    if not cols:
        return None
    n_c = len(names)
    grid = np.array([[np.nan if f is None else len(f) for f in col] for col in cols]).T
    fig = Figure(figsize=(max(5.0, 0.45 * len(labels) + 2.5), 0.35 * n_c + 1.8),
                 layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(grid, cmap="YlOrRd", vmin=0, vmax=max(2.0, np.nanmax(grid, initial=0)),
                   aspect="auto")
    for i, col in enumerate(cols):
        for j, f in enumerate(col):
            text = "absent" if f is None else "\n".join(x[:6] for x in f) if f else "ok"
            ax.text(i, j, text, ha="center", va="center", fontsize=5.5,
                    color="black" if f is None or len(f) < 2 else "white")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n_c), [channel_label(m, s, lb) for _, m, s, lb in chans], fontsize=7)
    fig.colorbar(im, ax=ax, label="quality flags", shrink=0.8)
    ax.set_title("Signal quality per channel and trial")
    return fig


def report_figures(run: AnalysisRun) -> list[ReportFigure]:
    """Return every figure the data allow, in report order."""
    specs = [
        ("fig-bars", "Activation per muscle and task", bars,
         "Mean of the normalised envelope per repetition, averaged: the means of the table "
         "per task; error bars show its SD."),
        ("fig-ensembles", "Ensemble curves per task", ensembles,
         "Envelope over the time-normalised repetition (0-100 %), mean ± SD; shaded "
         "spans: SPM clusters where the tasks differ (p < alpha, family-wise), in the "
         "colour of the higher task."),
        ("fig-medial-lateral", "Medial vs lateral hamstrings", medial_lateral,
         "Semitendinosus/semimembranosus (medial) against biceps femoris (lateral)."),
        ("fig-trends", "Per-repetition trends", trends,
         "Mean amplitude and median frequency of each repetition (median frequency is "
         "biased low below 1 kHz)."),
        ("fig-quality", "Quality heat map", quality_map,
         "Number of quality flags of each channel in each trial; the flags are listed in "
         "the quality section."),
    ]
    out = []
    with matplotlib.rc_context(RC):
        for fid, title, fn, caption in specs:
            fig = fn(run)
            if fig is not None:
                out.append(ReportFigure(fid, title, caption, fig))
    return out
