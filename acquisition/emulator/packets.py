"""The Cyton's 33-byte packet, and conversions between microvolts and ADC counts.

``0xA0 | counter | 8 x 24-bit big-endian two's complement | 6 aux bytes | footer``;
footer ``0xC0`` means the aux bytes are three int16 big-endian accelerometer counts,
``0xC1`` raw aux bytes (the digital-read board mode, :mod:`acquisition.triggers`).
"""

from __future__ import annotations

import numpy as np

from emgkit.model.boards import ads1299_uv_per_count

START_BYTE = 0xA0
FOOTER_ACCEL = 0xC0
PACKET_BYTES = 33
#: The ADS1299's 24-bit range.
COUNTS_MAX = 2**23 - 1
COUNTS_MIN = -(2**23)
#: LIS3DH at +/-4 g, 16-bit left-justified 12-bit: 0.002 g / 2^4 per count (as BrainFlow).
ACCEL_G_PER_COUNT = 0.002 / 2**4
#: Microvolts per count at the default gain 24.
CYTON_UV_PER_COUNT = ads1299_uv_per_count(24.0)


def uv_to_counts(uv: np.ndarray, uv_per_count: float = CYTON_UV_PER_COUNT) -> np.ndarray:
    """Convert microvolts to int32 ADC counts (rounded, clipped to the 24-bit range)."""
    c = np.rint(np.asarray(uv, dtype=np.float64) / uv_per_count)
    return np.clip(c, COUNTS_MIN, COUNTS_MAX).astype(np.int32)


def g_to_accel_counts(g: np.ndarray) -> np.ndarray:
    """Convert accelerations in g to int16 accelerometer counts (clipped)."""
    c = np.rint(np.asarray(g, dtype=np.float64) / ACCEL_G_PER_COUNT)
    return np.clip(c, -32768, 32767).astype(np.int16)


def encode_packets(counter: np.ndarray, counts: np.ndarray, accel: np.ndarray,
                   aux: np.ndarray | None = None, footer: int = FOOTER_ACCEL) -> np.ndarray:
    """Encode packets.

    Parameters
    ----------
    counter : numpy.ndarray
        ``(n,)`` packet counters (taken mod 256).
    counts : numpy.ndarray
        int32 ``(n, 8)`` ADC counts of the packet's 8 channels.
    accel : numpy.ndarray
        int16 ``(n, 3)`` accelerometer counts (zeros where the packet carries none).
    aux : numpy.ndarray, optional
        uint8 ``(n, 6)`` raw aux bytes sent instead of ``accel`` (digital read).
    footer : int
        The footer byte (``0xC0`` accelerometer, ``0xC1`` raw aux).

    Returns
    -------
    numpy.ndarray
        uint8 ``(n, 33)``: one packet per row.
    """
    n = len(counter)
    out = np.empty((n, PACKET_BYTES), np.uint8)
    out[:, 0] = START_BYTE
    out[:, 1] = np.asarray(counter, dtype=np.int64) % 256
    c = np.asarray(counts, dtype=np.int32).astype(">i4").view(np.uint8).reshape(n, 8, 4)
    out[:, 2:26] = c[:, :, 1:].reshape(n, 24)
    if aux is None:
        out[:, 26:32] = np.asarray(accel, dtype=">i2").view(np.uint8).reshape(n, 6)
    else:
        out[:, 26:32] = np.asarray(aux, dtype=np.uint8).reshape(n, 6)
    out[:, 32] = footer
    return out


def decode_packets(packets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode ``(n, 33)`` packets into counters, int32 ``(n, 8)`` counts and ``(n, 3)`` accel."""
    p = np.asarray(packets, dtype=np.uint8).reshape(-1, PACKET_BYTES)
    n = p.shape[0]
    b = np.zeros((n, 8, 4), np.uint8)
    b[:, :, 1:] = p[:, 2:26].reshape(n, 8, 3)
    b[:, :, 0] = np.where(b[:, :, 1] & 0x80, 0xFF, 0)
    counts = b.view(">i4").reshape(n, 8).astype(np.int32)
    accel = p[:, 26:32].copy().view(">i2").reshape(n, 3).astype(np.int16)
    return p[:, 1].astype(np.int64), counts, accel
