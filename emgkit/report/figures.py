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
from emgkit.report.content import (
    TASKS,
    UNIT_LABEL,
    channel_label,
    comparison_level,
    report_unit,
    task_amplitudes,
)

COLORS = {"hinge": "#c0392b", "squat": "#2471a3"}
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


def bars(run: AnalysisRun) -> Figure | None:
    """Plot the mean amplitude per muscle and task with its SD (across repetitions or subjects)."""
    amp = task_amplitudes(run)
    if amp.empty:
        return None
    amp = amp.groupby(["task", "channel", "muscle", "side"], sort=False).mean(
        numeric_only=True).reset_index()
    chans = list(dict.fromkeys(zip(amp["channel"], amp["muscle"], amp["side"])))
    x = np.arange(len(chans))
    fig = Figure(figsize=(max(6.0, 0.8 * len(chans) + 1.5), 3.6), layout="constrained")
    ax = fig.add_subplot()
    tasks = [t for t in TASKS if t in set(amp["task"])]
    width = 0.8 / max(len(tasks), 1)
    for k, task in enumerate(tasks):
        a = amp[amp["task"] == task].set_index("channel")
        mean = [a.loc[c, "mean"] if c in a.index else np.nan for c, _, _ in chans]
        sd = [a.loc[c, "mean_sd"] if c in a.index else np.nan for c, _, _ in chans]
        ax.bar(x + (k - (len(tasks) - 1) / 2) * width, mean, width, yerr=np.nan_to_num(sd),
               color=COLORS.get(task), label=task, capsize=2, error_kw={"lw": 0.8})
    ax.set_xticks(x, [channel_label(m, s).replace(" (", "\n(") for _, m, s in chans],
                  rotation=0, fontsize=7)
    ax.set_ylabel(f"mean amplitude ({UNIT_LABEL[report_unit(run)]})")
    spread = "subjects" if comparison_level(run) == "subjects" else "repetitions"
    ax.set_title(f"Mean activation per muscle, hinge vs squat (error bars: SD across {spread})")
    ax.legend(frameon=False)
    return fig


def _curves(run: AnalysisRun):
    """Return the ensemble curves averaged over the sessions: (task, channel) -> (mean, sd)."""
    cur = run.tables["curves"]
    cur = cur[cur["task"].isin(TASKS)]
    out = {}
    for (task, ch), g in cur.groupby(["task", "channel"]):
        by_trial = [d.sort_values("pct_time")[["mean", "sd"]].to_numpy(float)
                    for _, d in g.groupby(["session", "trial"])]
        stack = np.stack(by_trial)
        out[(task, int(ch))] = (stack[:, :, 0].mean(0), stack[:, :, 1].mean(0))
    return out


def ensembles(run: AnalysisRun) -> Figure | None:
    """Plot ensemble curves over the normalised repetition, hinge and squat overlaid."""
    curves = _curves(run)
    if not curves:
        return None
    chans = run.metrics[0].session.montage.channels
    fig, axes = _grid(len(chans))
    unit = UNIT_LABEL[report_unit(run)]
    for ax, c in zip(axes, chans):
        for task in TASKS:
            if (task, c.number) not in curves:
                continue
            m, s = curves[(task, c.number)]
            t = np.linspace(0, 100, m.size)
            ax.plot(t, m, color=COLORS[task], lw=1.3, label=task)
            ax.fill_between(t, m - s, m + s, color=COLORS[task], alpha=0.2, lw=0)
        ax.set_title(channel_label(c.muscle, c.side, c.label))
        ax.set_ylabel(unit)
    for ax in axes[-4:]:
        ax.set_xlabel("% of repetition")
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle("Ensemble curves (mean ± SD over repetitions), hinge vs squat")
    return fig


def medial_lateral(run: AnalysisRun) -> Figure | None:
    """Plot medial vs lateral hamstring curves, one panel per task (and side)."""
    curves = _curves(run)
    m = run.metrics[0].session.montage
    med = [c for c in m.channels if "medial_hamstrings" in m.muscle(c.muscle).groups]
    lat = [c for c in m.channels if "lateral_hamstrings" in m.muscle(c.muscle).groups]
    panels = [(task, side) for task in TASKS for side in sorted({c.side for c in med})
              if any((task, c.number) in curves for c in med)]
    if not med or not lat or not panels:
        return None
    fig, axes = _grid(len(panels), ncols=2, w=3.4, h=2.4)
    unit = UNIT_LABEL[report_unit(run)]
    for ax, (task, side) in zip(axes, panels):
        for group, style in ((med, "-"), (lat, "--")):
            for c in group:
                if c.side != side or (task, c.number) not in curves:
                    continue
                mean, sd = curves[(task, c.number)]
                t = np.linspace(0, 100, mean.size)
                ax.plot(t, mean, style, color=COLORS[task], lw=1.4,
                        label=channel_label(c.muscle, c.side, c.label))
                ax.fill_between(t, mean - sd, mean + sd, color=COLORS[task], alpha=0.12, lw=0)
        ax.set_title(f"{task}, {side} side")
        ax.set_xlabel("% of repetition")
        ax.set_ylabel(unit)
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle("Medial (solid) vs lateral (dashed) hamstrings")
    return fig


def trends(run: AnalysisRun) -> Figure | None:
    """Plot per-repetition trends: mean amplitude and median frequency (fatigue)."""
    mt = run.tables["metrics"]
    mcol = {"pct_mvc": "mean_pct_mvc", "pct_peak": "mean_pct_peak", "uv": "mean_uv"}[
        report_unit(run)]
    mt = mt[mt["task"].isin(TASKS) & (mt["rep"] > 0)]
    tasks = [t for t in TASKS if t in set(mt["task"])]
    if not tasks:
        return None
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    axes = fig.subplots(2, len(tasks), squeeze=False, sharex="col")
    cmap = matplotlib.colormaps["tab10"]
    chans = list(dict.fromkeys(zip(mt["channel"], mt["muscle"], mt["side"])))
    for j, task in enumerate(tasks):
        d = mt[mt["task"] == task]
        for k, (ch, mus, side) in enumerate(chans):
            g = d[d["channel"] == ch].groupby("rep")[[mcol, "median_freq_hz"]].mean()
            for i, col in enumerate((mcol, "median_freq_hz")):
                axes[i, j].plot(g.index, g[col], "o-", ms=3, lw=1, color=cmap(k % 10),
                                label=channel_label(mus, side))
        axes[0, j].set_title(task)
        axes[0, j].set_ylabel(f"mean ({UNIT_LABEL[report_unit(run)]})")
        axes[1, j].set_ylabel("median frequency (Hz)")
        axes[1, j].set_xlabel("repetition")
    axes[0, -1].legend(frameon=False, fontsize=6.5, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("Per-repetition trends (fatigue: rising amplitude, falling median frequency)")
    return fig


def quality_map(run: AnalysisRun) -> Figure | None:
    """Plot the quality heat map: channels x trials, coloured by the number of flags."""
    rows, labels = [], []
    for sm in run.metrics:
        for tm in sm.trials:
            rows.append([len(f) for f in tm.qc_flags])
            prefix = f"{sm.session.subject}/" if len(run.metrics) > 1 else ""
            labels.append(f"{prefix}{tm.trial.id} {tm.trial.task.name}")
    if not rows:
        return None
    n_c = max(len(r) for r in rows)
    grid = np.array([r + [0] * (n_c - len(r)) for r in rows], float).T
    chans = run.metrics[0].session.montage.channels
    fig = Figure(figsize=(max(5.0, 0.45 * len(labels) + 2.5), 0.35 * n_c + 1.8),
                 layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(grid, cmap="YlOrRd", vmin=0, vmax=max(2.0, grid.max()), aspect="auto")
    flags = [[f for f in tm.qc_flags] for sm in run.metrics for tm in sm.trials]
    for i in range(len(labels)):
        for j in range(n_c):
            f = flags[i][j] if j < len(flags[i]) else ()
            ax.text(i, j, "\n".join(x[:6] for x in f) if f else "ok", ha="center",
                    va="center", fontsize=5.5, color="black" if len(f) < 2 else "white")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n_c), [channel_label(c.muscle, c.side, c.label) for c in chans][:n_c],
                  fontsize=7)
    fig.colorbar(im, ax=ax, label="quality flags", shrink=0.8)
    ax.set_title("Signal quality per channel and trial")
    return fig


def report_figures(run: AnalysisRun) -> list[ReportFigure]:
    """Return every figure the data allow, in report order."""
    specs = [
        ("fig-bars", "Activation per muscle and task", bars,
         "Mean of the normalised envelope per repetition, averaged; error bars show the "
         "spread."),
        ("fig-ensembles", "Ensemble curves: hinge vs squat", ensembles,
         "Envelope over the time-normalised repetition (0-100 %), mean ± SD."),
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
