"""The signal core: numpy/scipy processing on arrays, no I/O.

Nothing here imports h5py, pandas, Qt, BrainFlow, or any emgkit layer above
:mod:`emgkit.model`. Signals are ``(n_samples, n_channels)`` arrays in microvolts;
parameters come from the dataclasses of :mod:`emgkit.model.config`. See
``docs/signal-core.md`` for the defaults, their reasons, and the tolerances.
"""

from emgkit.core._common import LowSampleRateWarning, window_samples
from emgkit.core.chain import ProcessingChain, describe_chain
from emgkit.core.decimate import anchored_minmax, complete_columns, minmax_decimate
from emgkit.core.ecg import subtract_ecg_template
from emgkit.core.envelope import (
    StreamingEnvelope,
    envelope,
    envelope_from_chain,
    linear_envelope,
    moving_rms,
)
from emgkit.core.filters import (
    StreamingFilter,
    band_edges,
    design_bandpass,
    design_chain,
    design_from_chain,
    design_highpass,
    design_lowpass,
    design_notch,
    detect_mains_hz,
    filter_causal,
    filter_offline,
)
from emgkit.core.mains import MainsChoice, decide_mains, mains_evidence
from emgkit.core.normalise import (
    mvc_reference,
    normalise,
    peak_reference,
    plateau_reference,
    select_reference,
)
from emgkit.core.onset import detect_bursts
from emgkit.core.pipeline import (
    StreamingProcessor,
    StreamOutput,
    filter_emg,
    process_trial_emg,
    resolve_mains_hz,
    trial_chains,
)
from emgkit.core.quality import (
    CrosstalkReport,
    QualityMonitor,
    QualityReport,
    assess_crosstalk,
    assess_quality,
    hamstring_pairs,
)
from emgkit.core.spectral import spectral_frequencies

__all__ = [
    "CrosstalkReport",
    "LowSampleRateWarning",
    "MainsChoice",
    "ProcessingChain",
    "QualityMonitor",
    "QualityReport",
    "StreamOutput",
    "StreamingEnvelope",
    "StreamingFilter",
    "StreamingProcessor",
    "anchored_minmax",
    "assess_crosstalk",
    "assess_quality",
    "band_edges",
    "complete_columns",
    "decide_mains",
    "describe_chain",
    "design_bandpass",
    "design_chain",
    "design_from_chain",
    "design_highpass",
    "design_lowpass",
    "design_notch",
    "detect_bursts",
    "detect_mains_hz",
    "envelope",
    "envelope_from_chain",
    "filter_causal",
    "filter_emg",
    "filter_offline",
    "hamstring_pairs",
    "linear_envelope",
    "mains_evidence",
    "minmax_decimate",
    "moving_rms",
    "mvc_reference",
    "normalise",
    "peak_reference",
    "plateau_reference",
    "process_trial_emg",
    "resolve_mains_hz",
    "select_reference",
    "spectral_frequencies",
    "subtract_ecg_template",
    "trial_chains",
    "window_samples",
]
