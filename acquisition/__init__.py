"""The acquisition layer: board sources, the Cyton emulator, the recorder, protocols.

Import the parts you need; nothing here imports BrainFlow until a BrainFlow source
is opened, so ``import acquisition`` is cheap.

- :mod:`acquisition.sources` — one interface for live data (:class:`~acquisition.sources.Source`
  yielding :class:`~acquisition.sources.Block`), over BrainFlow boards, a stored trial, or
  an in-process simulation.
- :mod:`acquisition.emulator` — a Cyton / Cyton+Daisy board on a pseudo-terminal and a
  WiFi shield on loopback, answering BrainFlow's real drivers byte for byte.
- :mod:`acquisition.recorder` — acquisition thread, bounded queue, writer thread, HDF5.
- :mod:`acquisition.protocol` — lab session protocols (TOML) and their runner.
- :mod:`acquisition.setups` — the montages and protocols shipped with emgkit.

Recovering a file whose last trial a crash cut short is pure HDF5 and lives with the
store: :mod:`emgkit.io.recover`.
"""

__all__ = ["emulator", "protocol", "recorder", "setups", "sources"]
