"""The methods section, generated from the recorded parameters (ISEK reporting items).

Every processing number comes from the chains the signal core applied
(:class:`~emgkit.core.chain.ProcessingChain`, one per region and sampling rate, kept in
:attr:`~emgkit.analysis.metrics.SessionMetrics.chains`); every recording fact from the
session files (device, montage, trials, their sources and notes); the MVC references
from where the core read them (:attr:`~emgkit.analysis.metrics.SessionMetrics.references`).
Nothing is re-derived here. Items the files do not record (board of an imported file,
electrode type and size, inter-electrode distance, skin preparation, input configuration,
MVC posture unless a protocol is recorded) are named as such so the author can add them.
Citations are numbered into :data:`REFERENCES`.
"""

from __future__ import annotations

from emgkit.analysis.files import AnalysisRun
from emgkit.analysis.mvc_check import MIN_MVC_REST_RATIO, TASK_MAX_PCT_MVC
from emgkit.model.boards import BOARDS
from emgkit.report.content import Table, channel_label, pretty

REFERENCES = {
    "seniam": "Hermens HJ, Freriks B, Disselhorst-Klug C, Rau G (2000). Development of "
              "recommendations for SEMG sensors and sensor placement procedures. "
              "J Electromyogr Kinesiol 10:361-374.",
    "isek": "Merletti R (1999). Standards for reporting EMG data. J Electromyogr Kinesiol "
            "9(1):III-IV.",
    "konrad": "Konrad P (2005). The ABC of EMG: a practical introduction to kinesiological "
              "electromyography. Noraxon.",
    "cede": "Besomi M, Hodges PW, Clancy EA, et al. (2020). Consensus for experimental design "
            "in electromyography (CEDE) project: amplitude normalization matrix. "
            "J Electromyogr Kinesiol 53:102438.",
    "drake": "Drake JDM, Callaghan JP (2006). Elimination of electrocardiogram contamination "
             "from electromyogram signals: an evaluation of currently used removal "
             "techniques. J Electromyogr Kinesiol 16:175-187.",
    "hodges": "Hodges PW, Bui BH (1996). A comparison of computer-based methods for the "
              "determination of onset of muscle activity using surface electromyography. "
              "Electroencephalogr Clin Neurophysiol 101:511-519.",
    "lakens": "Lakens D (2013). Calculating and reporting effect sizes to facilitate "
              "cumulative science. Front Psychol 4:863.",
    "holm": "Holm S (1979). A simple sequentially rejective multiple test procedure. "
            "Scand J Stat 6:65-70.",
}
_N = {k: i for i, k in enumerate(REFERENCES, 1)}


def cite(*keys: str) -> str:
    """``[1, 3]`` for the given reference keys."""
    return "[" + ", ".join(str(_N[k]) for k in keys) + "]"


def references() -> list[str]:
    """Return the numbered reference list."""
    return [f"[{_N[k]}] {v}" for k, v in REFERENCES.items()]


def _ms(window_s: float) -> str:
    return f"{window_s * 1000:g} ms"


def _hz(values) -> str:
    return ", ".join(f"{v:g}" for v in values) + " Hz"


def _chains(run: AnalysisRun) -> list:
    """Distinct chains of the run, by sampling rate then region (limb first)."""
    seen = dict.fromkeys(c for sm in run.metrics for c in sm.chains)
    return sorted(seen, key=lambda c: (c.fs_hz, c.region != "limb"))


def _board(board: str, formats: set) -> str:
    if board in BOARDS and board not in ("synthetic",):
        return f"an OpenBCI {board} board"
    if board == "synthetic":
        return "emgkit's synthetic board (simulated signals)"
    src = f" (imported from {', '.join(sorted(formats))} files)" if formats else ""
    return f"a board not recorded in the files{src}"


def _device_text(sessions) -> str:
    groups: dict = {}
    for s in sessions:
        d = s.device
        key = (d.board, d.fs_hz, d.gain, d.uv_per_count, d.mains_hz, d.firmware)
        formats = {t.source.format for t in s.trials if t.source is not None}
        groups.setdefault(key, set()).update(formats)
    out = []
    for (board, fs, gain, upc, mains, fw), formats in sorted(groups.items(), key=str):
        bits = [_board(board, formats), f"sampled at {fs:g} Hz"]
        chip = " (ADS1299, 24-bit)" if board.startswith("cyton") else ""
        bits.append(f"amplifier gain {gain:g}{chip}" if gain else "amplifier gain not recorded")
        if upc:
            bits.append(f"{upc:.6f} µV per count")
        if fw:
            bits.append(f"firmware {fw}")
        bits.append(f"mains recorded as {mains:g} Hz" if mains else "mains not recorded")
        out.append(", ".join(bits))
    return "; ".join(out)


def _recording(run: AnalysisRun) -> str:
    sessions = [sm.session for sm in run.metrics]
    chans = [c for s in sessions for c in s.montage.channels]
    placed = sum(1 for c in chans if c.placement)
    where = ("placements as recorded in the montage table" if placed == len(chans) else
             "placements as recorded in the montage table where given (not recorded for "
             f"{len(chans) - placed} of {len(chans)} channels)" if placed else
             "electrode placements are not recorded")
    n_sub = len({s.subject for s in sessions})
    return (
        f"Recording. Surface EMG of {n_sub} subject(s) in {len(sessions)} session(s) was "
        f"recorded with {_device_text(sessions)}, one channel per board input as listed in "
        f"the montage table, stored as microvolts in emgkit HDF5 session files. The input "
        f"configuration (bipolar or common reference), electrode type, size, "
        f"inter-electrode distance and skin preparation are not recorded in the session "
        f"files and must be added here; {where} {cite('seniam')}. Reporting follows the "
        f"ISEK standards {cite('isek')}.")


def _mains_text(chains) -> str:
    out = []
    for m in dict.fromkeys(c.mains for c in chains):
        if m.source == "off":
            out.append("No mains notch was applied (filter.notch = false)")
        elif m.source == "config":
            out.append(f"The mains frequency, {m.notch_hz:g} Hz, was set in the configuration"
                       + (f" (the data show {m.detected_hz:g} Hz)" if m.disagrees else ""))
        elif m.source == "data":
            ses = ("as the session records" if m.session_hz == m.detected_hz else
                   f"the session records {m.session_hz:g} Hz" if m.session_hz is not None
                   else "the session records none")
            out.append(f"The mains frequency, {m.detected_hz:g} Hz, was measured from the "
                       f"data ({ses})")
        elif not m.examined:
            out.append(f"The session's mains frequency, {m.notch_hz:g} Hz, was notched (not "
                       "measured in the data)" if m.notch_hz is not None else
                       "No mains frequency is recorded: no notch was applied")
        elif m.source == "session":
            out.append(f"No mains line stood out in the data; the session's {m.session_hz:g} "
                       "Hz was notched")
        else:
            out.append("No mains line stood out in the data and none is recorded in the "
                       "session: no notch was applied")
    return "; ".join(out) + "."


def _band_text(c, trunk: list[str]) -> str:
    rule = ("" if c.high_rule == "bandpass_high_hz" else ", upper edge min(450 Hz, 0.45 fs)")
    txt = f"{c.low_hz:g}-{c.high_hz:g} Hz at {c.fs_hz:g} Hz{rule}"
    if c.notch_hz:
        txt += (f", IIR notches at {_hz(c.notch_hz)} (Q = {c.notch_q[0]:g} for the "
                f"fundamental, k × {c.notch_q[0]:g} for harmonic k: each "
                f"{c.notch_bandwidth_hz:.3g} Hz wide at -3 dB)")
    if c.region == "trunk":
        where = f"on the trunk channels ({', '.join(trunk)})" if trunk else "on trunk channels"
        if c.ecg_method == "template":
            txt = (f"{where}, the mean ECG beat subtracted first (template subtraction) "
                   f"{cite('drake')}, then {txt}")
        elif c.low_rule == "trunk_highpass_hz":
            txt = f"{where}, lower edge raised to {c.low_hz:g} Hz against the ECG " \
                  f"{cite('drake')}: {txt}"
        else:
            txt = f"{where}: {txt}"
    return txt


def _filtering(run: AnalysisRun, chains) -> str:
    trunk = list(dict.fromkeys(
        channel_label(ch.muscle, ch.side) for sm in run.metrics
        for ch in sm.session.montage.channels
        if sm.session.montage.muscle(ch.muscle).region == "trunk"))
    orders = sorted({c.bandpass_order for c in chains})
    bands = "; ".join(_band_text(c, trunk) for c in chains)
    low = sorted({c.fs_hz for c in chains if c.low_rate})
    rate = ""
    if low:
        highs = sorted({c.high_hz for c in chains if c.low_rate})
        rate = (f" At {_hz(low)} (below 1 kHz) the band ends at {_hz(highs)}, so amplitudes "
                "compare only between recordings at the same rate and spectral measures "
                "are biased low.")
    notes = "".join(f" {n[0].upper()}{n[1:]}." for n in dict.fromkeys(
        x for c in chains for x in c.notes))
    return (
        f"Filtering. Each channel's mean was removed; a Butterworth band-pass of order "
        f"{', '.join(map(str, orders))} (second-order sections) applied forward and backward "
        f"(zero phase, effective order {', '.join(str(2 * o) for o in orders)}, -6 dB at the "
        f"edges): {bands} {cite('seniam', 'konrad')}. {_mains_text(chains)}{rate}{notes}")


def _envelope_text(c) -> str:
    if c.envelope_method == "rms":
        return (f"a centred moving RMS over {_ms(c.envelope_window_s)} "
                f"({c.envelope_window_samples} samples at {c.fs_hz:g} Hz)")
    return (f"a linear envelope (full-wave rectification, Butterworth low-pass order "
            f"{c.envelope_lowpass_order} at {c.envelope_lowpass_hz:g} Hz, zero phase)")


def _amplitude(chains) -> str:
    limb = [c for c in chains if c.region == chains[0].region]
    return (f"Amplitude. The amplitude envelope was "
            f"{'; '.join(_envelope_text(c) for c in limb)} {cite('konrad')}.")


def _protocols(trials) -> list[str]:
    names = [t.notes.split(":", 1)[0][len("protocol "):] for t in trials
             if t.notes.startswith("protocol ")]
    return list(dict.fromkeys(n for n in names if n))


def _effort_text(mvc) -> str:
    protocols = _protocols(mvc)
    if protocols and len(protocols) == 1 and all(t.notes.startswith("protocol ") for t in mvc):
        return (f"The MVC efforts were recorded by the protocol '{protocols[0]}': isometric "
                "against manual resistance as set out in the protocol; their positions are "
                "not recorded in the files.")
    if any(t.notes.startswith("simulated") for t in mvc):
        return "The MVC efforts were simulated (emgkit.simulate)."
    return ("How the MVC efforts were performed (posture, resistance, isometric or not) is "
            "not recorded in the files.")


def _reference_env(c) -> str:
    if c.reference_window_s is None:
        return "the same linear envelope as the tasks"
    if c.reference_window_s == c.envelope_window_s:
        return f"the same {_ms(c.reference_window_s)} RMS envelope as the tasks"
    return (f"a {_ms(c.reference_window_s)} RMS envelope ({c.reference_window_samples} "
            f"samples at {c.fs_hz:g} Hz)")


def _normalisation(run: AnalysisRun, chains) -> str:
    c = chains[0]
    sessions = [sm.session for sm in run.metrics]
    mvc = [t for s in sessions for t in s.trials if t.task.name == "mvc"]
    if c.normalisation == "peak_dynamic":
        return (f"Normalisation. Amplitudes are in % of the highest envelope value over the "
                f"task trials (peak-dynamic); they describe patterns, not effort "
                f"{cite('cede')}.")
    if c.normalisation == "none":
        return "Normalisation. None: amplitudes are in microvolts."
    ref = ("the single highest value of " if c.mvc_reference == "peak" else
           f"the highest mean over {c.mvc_plateau_s:g} s of ")
    targets = sorted({t.task.target or "unspecified" for t in mvc})
    durs = sorted({round(t.duration_s, 1) for t in mvc})
    return (
        f"Normalisation. Amplitudes are expressed in % of each channel's maximal voluntary "
        f"contraction (MVC) reference: {ref}{_reference_env(c)} {cite('konrad')}, over all "
        f"{len(mvc)} MVC trial(s) of the session (targets: "
        f"{', '.join(pretty(x) for x in targets)}; trial durations "
        f"{', '.join(f'{d:g}' for d in durs)} s), reference and task processed alike "
        f"{cite('cede')}. {_effort_text(mvc)}")


def _references_text(run: AnalysisRun) -> str:
    rows = [r for sm in run.metrics for r in sm.references]
    if not rows:
        return ""
    many = len(run.metrics) > 1
    items = [(f"{sm.name} " if many else "") + f"{channel_label(r.muscle, r.side, r.label)}: "
             + (f"{r.trial}, {_window(r)}, {r.value_uv:.1f} µV" if r.trial is not None
                else "none (left out of the normalised values)")
             for sm in run.metrics for r in sm.references]
    return "References (muscle: trial, time window, value). " + "; ".join(items) + "."


def _window(r) -> str:
    if r.trial is None:
        return "-"
    return f"{r.start_s:.2f} s" if r.end_s == r.start_s else f"{r.start_s:.2f}-{r.end_s:.2f} s"


def _repetitions(run: AnalysisRun) -> str:
    cfg = run.config
    s, o, sp = cfg.segmentation, cfg.onset, cfg.spectral
    used: dict = {}
    for sm in run.metrics:
        for tm in sm.trials:
            if tm.trial.task.name not in ("mvc", "rest"):
                m = tm.segmentation.method if tm.segmentation else tm.reps[0].method
                used[m] = used.get(m, 0) + 1
    words = {"markers": "the protocol markers", "accel": "the trunk inclination of the "
             "accelerometer", "envelope": "the prime movers' envelope",
             "whole_trial": "none (the whole trial was used)"}
    found = ", ".join(f"{words[m]} in {n} trial(s)" for m, n in used.items()) or "no task trials"
    onset = ("Hodges-Bui" if o.method == "hodges_bui" else "Teager-Kaiser energy")
    c = _chains(run)[0]
    return (
        f"Repetitions and measures. Repetitions (method '{s.method}') were found from "
        f"{found}, and time-normalised to {s.n_points} points (0-100 %). Per repetition and "
        f"channel: mean and peak of the normalised envelope, its integral, onset and offset "
        f"({onset}: baseline mean + {o.k_sd:g} SD held {_ms(o.min_duration_s)}, "
        f"{o.lowpass_hz:g} Hz low-pass {cite('hodges')}), and the median and mean frequency "
        f"(Welch, {_ms(sp.welch_window_s)} Hann windows, {sp.overlap * 100:g} % overlap, "
        f"{c.spectral_low_hz:g}-{c.spectral_high_hz:g} Hz at {c.fs_hz:g} Hz).")


_STATISTICS = (
    "Statistics. Hinge and squat were compared per muscle and per index. For one "
    "subject, the repetitions of each task (pooled over the subject's sessions) were "
    "treated as independent samples of that person and compared with Welch's t-test, "
    "with a Welch 95 % confidence interval of the difference and Hedges' g for "
    "independent samples {lakens}: single-subject inference, about this person, "
    "not about people. For several subjects, subjects' means were paired by subject "
    "(paired t-test, or the Wilcoxon signed-rank test when Shapiro-Wilk rejects "
    "normality of the differences, with at least 6 pairs; Hedges' g_av {lakens}). "
    "p values are Holm-corrected across the muscles of a comparison and separately "
    "across its indices {holm}.")


def _quality(run: AnalysisRun) -> str:
    q = run.config.quality
    falls = [f"{f['session']}: {f['sentence']}" for f in run.fallbacks]
    said = (" Where the analysis fell back: " + "; ".join(falls) + ".") if falls else ""
    return (
        f"Quality. Each trial and channel was checked for a railed or clipped signal "
        f"(within {q.rail_tolerance:g} of full scale), flat or lead-off channels, mains "
        f"interference (ratio > {q.mains_ratio:g}), baseline noise above "
        f"{q.max_noise_rms_uv:g} µV RMS and SNR below {q.min_snr_db:g} dB against the rest "
        f"trial; flags are reported below and do not exclude data.{said}")


def methods_paragraphs(run: AnalysisRun) -> list[str]:
    """Return the methods text, one paragraph per item group.

    Every processing number is read from the chains the core applied
    (:attr:`~emgkit.analysis.metrics.SessionMetrics.chains`), every recording fact from
    the session files; what they do not record is said to be not recorded.
    """
    chains = _chains(run)
    out = [_recording(run), _filtering(run, chains), _amplitude(chains),
           _normalisation(run, chains)]
    refs = _references_text(run)
    if refs:
        out.append(refs)
    out += [_repetitions(run),
            _STATISTICS.format(lakens=cite("lakens"), holm=cite("holm")), _quality(run)]
    return out


def mvc_reference_table(run: AnalysisRun) -> Table:
    """Return the normalisation references: muscle, trial, window, value in µV and check.

    The check is the channel's :mod:`emgkit.analysis.mvc_check` verdict (``ok``, or why
    its normalisation is not interpretable or missing).
    """
    checks = {(c.channel, sm.name): c for sm in run.metrics for c in sm.checks}
    rows = []
    for sm in run.metrics:
        for r in sm.references:
            c = checks.get((r.channel, sm.name))
            verdict = "" if c is None else (c.check if c.check in ("ok", "not_mvc") else
                                            f"{c.check}: {c.reason}")
            rows.append([sm.name, channel_label(r.muscle, r.side, r.label), r.trial or "-",
                         _window(r), "-" if r.trial is None else f"{r.value_uv:.1f}",
                         verdict])
    return Table("mvc-reference-table", "Normalisation reference of each channel: the trial "
                 "and stretch of its envelope that supplied it, its value, and whether the "
                 "normalisation is interpretable (the reference above "
                 f"{MIN_MVC_REST_RATIO:g} times rest, task means below {TASK_MAX_PCT_MVC:g} "
                 "% MVC; emgkit.analysis.mvc_check).",
                 ["Session", "Muscle", "Trial", "Window", "Reference (µV)", "Check"], rows)


def montage_table(run: AnalysisRun) -> Table:
    """Return the electrodes: board input, muscle, side and placement of each montage."""
    seen, rows = set(), []
    for sm in run.metrics:
        m = sm.session.montage
        if m.name in seen:
            continue
        seen.add(m.name)
        for c in m.channels:
            rows.append([m.name, str(c.number), channel_label(c.muscle, c.side, c.label),
                         c.placement or "not recorded"])
    return Table("montage-table", "Electrode montage: board input, muscle and placement, "
                 "as recorded in the session files.", ["Montage", "Input", "Muscle",
                                                      "Placement"], rows)
