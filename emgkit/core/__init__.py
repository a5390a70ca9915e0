"""The signal core: numpy/scipy processing on arrays, no I/O.

Nothing here imports h5py, pandas, Qt, BrainFlow, or any emgkit layer above
:mod:`emgkit.model`.
"""
