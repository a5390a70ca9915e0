"""Storage and file formats: the HDF5 session store and recording readers."""
