"""Filter chain and envelope of a trial that stays on disk, a few channels at a time.

A trial over the in-memory limit (:class:`~emgkit.io.reader.StoredEMG`) is copied once
into scratch space (:class:`~emgkit.io.scratch.Scratch`). With the default chains
(:func:`emgkit.core.pipeline.fused`) it goes from that copy into the scratch arrays of
its envelope and filtered signal four channels and a block of samples at a time
(:func:`emgkit.core.pipeline.process_trial_into`), so memory holds a block, whatever the
trial's length; with the others (``sosfiltfilt``, the linear envelope) through
:func:`emgkit.core.process_trial_emg` a few whole channels at a time. Either way the
numbers are those of the in-memory path, and groups go through side by side in threads
(:func:`emgkit.core.parallel.map_threads`) within a budget of samples in flight, with
the numbers of one thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emgkit.core import process_trial_emg
from emgkit.core.fftfilt import BLOCK_SAMPLES
from emgkit.core.parallel import map_threads, threads_within
from emgkit.core.pipeline import fused, process_trial_into
from emgkit.errors import AnalysisError
from emgkit.model.config import ProcessingConfig
from emgkit.model.session import Trial

if TYPE_CHECKING:
    from emgkit.io.scratch import Scratch

#: With the other chains (``sosfiltfilt``, the linear envelope), samples held at once per
#: signal when a trial is processed from disk (16 MB of float32): whole channels go
#: through the chain in groups of at most 4 (the FFT filter's own group, so the numbers
#: are those of the whole-trial path) within this budget.
DISK_GROUP_SAMPLES = 4 * 2**20
#: Channels per group with the default chains (:func:`emgkit.core.pipeline.fused`): the
#: FFT engine's own group, filtered a block of samples at a time
#: (:data:`emgkit.core.fftfilt.BLOCK_SAMPLES`), so a group holds about 75 MB whatever the
#: trial's length (measured with ``tracemalloc``, 10 minutes at 16 kHz and 30 at 2 kHz).
FUSED_GROUP = 4
#: Samples of the groups filtered side by side in threads, together: with the default
#: chains four groups of a block each (as many as there are threads); with the others,
#: whole channels (each holds about six float32 copies of itself meanwhile: 400 MB at
#: this total), so an hour at 2 kHz goes two channels at a time, 10 minutes at 16 kHz one
#: at a time, as does a trunk channel with ECG template subtraction.
DISK_SAMPLES_IN_FLIGHT = 4 * DISK_GROUP_SAMPLES


def envelopes_on_disk(trial: Trial, regions: list[str], config: ProcessingConfig,
                      chains: dict, filtered: bool, scratch: Scratch | None):
    """Envelope (and filtered signal) of a trial whose EMG stays on disk.

    Parameters
    ----------
    trial : Trial
        A trial whose ``emg_uv`` is a :class:`~emgkit.io.reader.StoredEMG`.
    regions : list of str
        Region of each channel (selects each channel's chain).
    config : ProcessingConfig
        The processing configuration.
    chains : dict
        The trial's chains by region (:func:`emgkit.core.trial_chains`).
    filtered : bool
        Also return the filtered signal.
    scratch : Scratch
        Where the arrays are kept (required).

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        The envelope, in microvolts (samples x channels), and the filtered signal if
        ``filtered``: memory-mapped arrays of ``scratch``, equal to the in-memory path.
    """
    if scratch is None:
        raise AnalysisError(f"trial {trial.id} is not in memory and no scratch space was given")
    n, n_ch = trial.emg_uv.shape
    c = next(iter(chains.values()))  # the envelope is the same for every region
    name = f"{trial.id}-" + (f"w{c.envelope_window_s:g}" if c.envelope_method == "rms"
                             else f"lp{c.envelope_lowpass_hz:g}")
    raw = scratch.copy_of(f"{name}/raw", trial.emg_uv)  # one pass over the session file
    env = scratch.array(f"{name}/envelope", (n, n_ch))
    filt = scratch.array(f"{name}/filtered", (n, n_ch)) if filtered else None
    if fused(chains):  # a block of samples at a time, straight between the scratch arrays
        def one_group(a: int, b: int) -> None:
            process_trial_into(raw, trial.fs_hz, regions, chains, env, filt,
                               columns=range(a, b))

        group, in_flight = FUSED_GROUP, FUSED_GROUP * BLOCK_SAMPLES
        if any(c.ecg_method == "template" for c in chains.values()):
            in_flight = max(in_flight, n)  # a template channel is filtered whole
    else:  # whole channels: a few at a time
        def one_group(a: int, b: int) -> None:
            res = process_trial_emg(raw[:, a:b], trial.fs_hz, regions[a:b], config,
                                    chains=chains, return_filtered=filtered)
            if filtered:
                env[:, a:b], filt[:, a:b] = res
            else:
                env[:, a:b] = res

        group = int(max(1, min(4, DISK_GROUP_SAMPLES // max(n, 1))))
        in_flight = group * n
    spans = [(a, min(a + group, n_ch)) for a in range(0, n_ch, group)]
    map_threads(one_group, spans, threads_within(in_flight, DISK_SAMPLES_IN_FLIGHT))
    return (env, filt) if filtered else env


__all__ = ["DISK_GROUP_SAMPLES", "DISK_SAMPLES_IN_FLIGHT", "envelopes_on_disk"]
