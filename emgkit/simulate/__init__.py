"""A physiological surface-EMG simulator with ground truth.

Band-limited Gaussian noise with the surface-EMG spectrum (Shwedyk et al. 1977),
amplitude-modulated by per-muscle activation profiles for MVC efforts, hip hinges,
squats and rest, plus the artefacts of a real recording (electrode DC offset and drift,
mains and harmonics, ECG on trunk channels, amplifier noise), an accelerometer, and
faults on demand (railed channel, lead-off, clipping, lost packets). Each channel's
EMG is ``activation(t) * mvc_rms_uv * n(t)`` with unit-variance noise ``n``: %MVC truth
is exact by construction. See ``docs/simulator.md``.

Only numpy, scipy, :mod:`emgkit.model` and the core's band rule (for the truths of
what the default chain keeps) are used.
"""

from emgkit.simulate.activation import TrialPlan, TrialSpec, plan_trial
from emgkit.simulate.artefacts import Artefacts, ChannelModel, draw_channels
from emgkit.simulate.faults import (
    BaselineWander,
    Clipping,
    CorruptSamples,
    Crosstalk,
    EcgPickup,
    LeadOff,
    MainsPickup,
    MotionArtefact,
    PacketLoss,
    RailedChannel,
)
from emgkit.simulate.levels import VARIANTS, Shape, Variant
from emgkit.simulate.montages import default_montage
from emgkit.simulate.session import (
    Block,
    LabProtocol,
    SessionStream,
    simulate_blocks,
    simulate_session,
    simulate_trial,
)
from emgkit.simulate.spectrum import EmgSpectrum, ShapedNoise, shaping_filters
from emgkit.simulate.truth import GapTruth, RepTruth, SessionTruth, TrialTruth

__all__ = [
    "VARIANTS",
    "Artefacts",
    "BaselineWander",
    "Block",
    "ChannelModel",
    "Clipping",
    "CorruptSamples",
    "Crosstalk",
    "EcgPickup",
    "EmgSpectrum",
    "GapTruth",
    "LabProtocol",
    "LeadOff",
    "MainsPickup",
    "MotionArtefact",
    "PacketLoss",
    "RailedChannel",
    "RepTruth",
    "SessionStream",
    "SessionTruth",
    "Shape",
    "ShapedNoise",
    "TrialPlan",
    "TrialSpec",
    "TrialTruth",
    "Variant",
    "default_montage",
    "draw_channels",
    "plan_trial",
    "shaping_filters",
    "simulate_blocks",
    "simulate_session",
    "simulate_trial",
]
