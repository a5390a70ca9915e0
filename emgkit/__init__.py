"""emgkit: surface-EMG toolkit for OpenBCI lab sessions.

Layers, lowest first: :mod:`emgkit.model` (montage, muscles, trials, configs),
:mod:`emgkit.core` (numpy/scipy signal processing, no I/O), :mod:`emgkit.io`
(HDF5 session store, file readers), :mod:`emgkit.analysis`, then reports, viewer,
batch and the command line. A layer never imports one above it.
"""

from emgkit._version import __version__
from emgkit.errors import AcquisitionError, ConfigError, EmgkitError, FormatError

__all__ = ["AcquisitionError", "ConfigError", "EmgkitError", "FormatError", "__version__"]
