"""BIDS-EMG (BIDS 1.11): export sessions as a dataset and import one back.

>>> from emgkit.bids import export_bids, import_bids        # doctest: +SKIP
>>> export_bids(["s01.h5", "s02.h5"], "study-bids")          # doctest: +SKIP
>>> sessions = import_bids("study-bids")                      # doctest: +SKIP
"""

from emgkit.bids.export import export_bids
from emgkit.bids.importer import import_bids

__all__ = ["export_bids", "import_bids"]
