"""The methods section, generated from the recorded parameters (ISEK reporting items).

Every number comes from the session files (device, montage, trials) or from the
:class:`~emgkit.model.config.ProcessingConfig` used; items the files do not record
(electrode type and size, inter-electrode distance, skin preparation) are named as such
so the author can add them. Citations are numbered into :data:`REFERENCES`.
"""

from __future__ import annotations

from emgkit.analysis.files import AnalysisRun
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


def _upper_hz(cfg, fs: float) -> float:
    hi = cfg.filter.bandpass_high_hz
    return min(450.0, 0.45 * fs) if hi is None else min(hi, 0.45 * fs)


def methods_paragraphs(run: AnalysisRun) -> list[str]:
    """Return the methods text, one paragraph per item group."""
    cfg = run.config
    out = []
    sessions = [sm.session for sm in run.metrics]
    devs = {(s.device.board, s.device.fs_hz, s.device.gain, s.device.uv_per_count,
             s.device.mains_hz, s.device.firmware) for s in sessions}
    dev_txt = []
    for board, fs, gain, upc, mains, fw in sorted(devs, key=str):
        bits = [f"an OpenBCI {board} board" if board not in ("synthetic", "playback")
                else f"the {board} board", f"sampled at {fs:g} Hz"]
        if gain:
            bits.append(f"amplifier gain {gain:g} (ADS1299, 24-bit)")
        if upc:
            bits.append(f"{upc:.6f} µV per count")
        if fw:
            bits.append(f"firmware {fw}")
        if mains:
            bits.append(f"mains {mains:g} Hz")
        dev_txt.append(", ".join(bits))
    n_sub = len({s.subject for s in sessions})
    out.append(
        f"Recording. Surface EMG of {n_sub} subject(s) in {len(sessions)} session(s) was "
        f"recorded with {'; '.join(dev_txt)}, bipolar inputs (NxP/NxN, SRB2 off) as listed "
        f"in the montage table, stored as microvolts in emgkit HDF5 session files. Electrode "
        f"type, size, inter-electrode distance and skin preparation are not recorded in the "
        f"session files and must be added here; placements follow SENIAM where given "
        f"{cite('seniam')}. Reporting follows the ISEK standards {cite('isek')}.")
    fs_all = sorted({t.fs_hz for s in sessions for t in s.trials})
    f = cfg.filter
    band = ", ".join(f"{f.bandpass_low_hz:g}-{_upper_hz(cfg, fs):g} Hz at {fs:g} Hz"
                     for fs in fs_all)
    notch = ("no notch" if not f.notch else
             f"IIR notch at the mains frequency "
             f"({'from the session' if f.mains_hz is None else f'{f.mains_hz:g} Hz'}"
             f"{', else detected from the spectrum' if f.mains_hz is None else ''})"
             f"{' and its harmonics below the upper band edge' if f.notch_harmonics else ''}, "
             f"Q = {f.notch_q:g}")
    trunk = [channel_label(c.muscle, c.side) for s in sessions[:1] for c in s.montage.channels
             if s.montage.muscle(c.muscle).region == "trunk"]
    ecg = (f"On the trunk channels ({', '.join(trunk)}) the lower band edge was raised to "
           f"{f.trunk_highpass_hz:g} Hz to suppress the ECG "
           f"({'high-pass' if f.ecg_method == 'highpass' else f.ecg_method}) "
           f"{cite('drake')}. " if trunk and f.trunk_highpass_hz else "")
    out.append(
        f"Filtering. Each channel's mean was removed; a Butterworth band-pass of order "
        f"{f.bandpass_order} (second-order sections), {band}, applied forward and backward "
        f"(zero phase, effective order {2 * f.bandpass_order}); {notch} "
        f"{cite('seniam', 'konrad')}. {ecg}Below 1 kHz the band is cut at 0.45 fs, so "
        "amplitudes compare only between recordings at the same rate and spectral measures "
        "are biased low.")
    e = cfg.envelope
    env = (f"a centred moving RMS over {e.window_s * 1000:g} ms" if e.method == "rms" else
           f"a linear envelope (full-wave rectification, Butterworth low-pass order "
           f"{e.lowpass_order} at {e.lowpass_hz:g} Hz, zero phase)")
    out.append(f"Amplitude. The amplitude envelope was {env} {cite('konrad')}.")
    n = cfg.normalisation
    mvc = [t for s in sessions for t in s.trials if t.task.name == "mvc"]
    targets = sorted({t.task.target or "unspecified" for t in mvc})
    durs = sorted({round(t.duration_s, 1) for t in mvc})
    if n.method == "mvc":
        win = (f"{n.mvc_window_s * 1000:g} ms" if n.mvc_window_s else
               f"the same {e.window_s * 1000:g} ms")
        ref = (f"the highest value of the envelope ({win} window)"
               if n.mvc_reference == "peak" else
               f"the highest mean over {n.mvc_plateau_s:g} s of the envelope ({win} "
               f"window) {cite('konrad')}")
        out.append(
            f"Normalisation. Amplitudes are expressed in % of each channel's maximal "
            f"voluntary contraction (MVC) reference: {ref}, over all "
            f"{len(mvc)} MVC trial(s) of the session (targets: "
            f"{', '.join(pretty(x) for x in targets)}; trial durations "
            f"{', '.join(f'{d:g}' for d in durs)} s), reference and task processed alike "
            f"{cite('cede')}. The MVC efforts were isometric against manual resistance as set "
            "out in the protocol; their positions are not recorded in the files.")
    elif n.method == "peak_dynamic":
        out.append(f"Normalisation. Amplitudes are in % of the highest envelope value over "
                   f"the task trials (peak-dynamic); they describe patterns, not effort "
                   f"{cite('cede')}.")
    else:
        out.append("Normalisation. None: amplitudes are in microvolts.")
    s = cfg.segmentation
    o = cfg.onset
    sp = cfg.spectral
    out.append(
        f"Repetitions and measures. Repetitions were taken from the protocol markers when "
        f"present, else from the trunk inclination of the accelerometer, else from the prime "
        f"movers' envelope (method '{s.method}'), and time-normalised to {s.n_points} points "
        f"(0-100 %). Per repetition and channel: mean and peak of the normalised envelope, "
        f"its integral, onset and offset (Hodges-Bui: baseline mean + {o.k_sd:g} SD held "
        f"{o.min_duration_s * 1000:g} ms, {o.lowpass_hz:g} Hz low-pass {cite('hodges')}), and "
        f"the median and mean frequency (Welch, {sp.welch_window_s * 1000:g} ms Hann windows, "
        f"{sp.overlap * 100:g} % overlap).")
    out.append(
        "Statistics. Hinge and squat were compared per muscle and per index. For one "
        "subject, the repetitions of each task (pooled over the subject's sessions) were "
        "treated as independent samples of that person and compared with Welch's t-test, "
        "with a Welch 95 % confidence interval of the difference and Hedges' g for "
        f"independent samples {cite('lakens')}: single-subject inference, about this person, "
        "not about people. For several subjects, subjects' means were paired by subject "
        "(paired t-test, or the Wilcoxon signed-rank test when Shapiro-Wilk rejects "
        f"normality of the differences, with at least 6 pairs; Hedges' g_av {cite('lakens')}). "
        "p values are Holm-corrected across the muscles of a comparison and separately "
        f"across its indices {cite('holm')}.")
    q = cfg.quality
    out.append(
        f"Quality. Each trial and channel was checked for a railed or clipped signal "
        f"(within {q.rail_tolerance:g} of full scale), flat or lead-off channels, mains "
        f"interference (ratio > {q.mains_ratio:g}), baseline noise above "
        f"{q.max_noise_rms_uv:g} µV RMS and SNR below {q.min_snr_db:g} dB against the rest "
        "trial; flags are reported below and do not exclude data.")
    return out


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
