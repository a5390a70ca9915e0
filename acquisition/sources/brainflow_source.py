"""Live boards through BrainFlow (Cyton, Daisy, Ganglion, WiFi, synthetic, playback).

Rows, rates and channel lists come from BrainFlow (``BoardShim.get_exg_channels`` and
friends), never from a table of our own. BrainFlow already returns EXG rows in
microvolts (counts x 4.5 / gain / (2^23 - 1) x 1e6 on Cyton) and accelerometer rows in g.
"""

from __future__ import annotations

import atexit
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from acquisition.sources.base import Block, Source, SourceInfo, empty_block, select_channels
from acquisition.sources.serial_quiet import quiet_serial_board
from acquisition.triggers import DIGITAL_MODE_COMMAND, PIN_OTHER_INDEX, EdgeDetector, check_pin
from emgkit.errors import AcquisitionError, ConfigError
from emgkit.model.boards import BOARDS

log = logging.getLogger("emgkit")

#: emgkit board name -> BrainFlow ``BoardIds`` name.
BOARD_IDS = {
    "cyton": "CYTON_BOARD",
    "cyton-daisy": "CYTON_DAISY_BOARD",
    "ganglion": "GANGLION_BOARD",
    "cyton-wifi": "CYTON_WIFI_BOARD",
    "cyton-daisy-wifi": "CYTON_DAISY_WIFI_BOARD",
    "synthetic": "SYNTHETIC_BOARD",
    "playback": "PLAYBACK_FILE_BOARD",
}
SERIAL_BOARDS = ("cyton", "cyton-daisy", "ganglion")
WIFI_BOARDS = ("cyton-wifi", "cyton-daisy-wifi")
#: Boards with the ADS1299 that take ``x...X`` channel settings.
CYTON_FAMILY = ("cyton", "cyton-daisy", "cyton-wifi", "cyton-daisy-wifi")
#: Every BoardShim made, kept until exit: BoardShim.__del__ releases whatever session has
#: the same board and parameters, so a failed attempt's shim freed later (by the garbage
#: collector, from an exception's traceback) would end the session of the retry.
_SHIMS: list = []
atexit.register(_SHIMS.clear)  # freed while the interpreter can still run their __del__
#: OpenBCI's channel letters for inputs 1-16 in ``x...X`` commands.
CHANNEL_LETTERS = "12345678QWERTYUI"


def emg_channel_command(channel: int) -> str:
    """Return the OpenBCI channel setting for a bipolar EMG input (SRB2 off).

    ``x CHANNEL POWER(0=on) GAIN(6=24x) INPUT(0=normal) BIAS(1=include) SRB2(0=off)
    SRB1(0=off) X``, per the OpenBCI EMG set-up guide.

    Parameters
    ----------
    channel : int
        Board input, 1-16.
    """
    if not 1 <= channel <= len(CHANNEL_LETTERS):
        raise ConfigError(f"channel must be 1-16 for an OpenBCI channel command, got {channel}")
    return f"x{CHANNEL_LETTERS[channel - 1]}060100X"


def _bf():
    try:
        from brainflow import board_shim
    except ImportError as e:  # pragma: no cover - brainflow is installed in tests
        raise AcquisitionError(
            "BrainFlow is not installed: pip install 'emgkit[acquisition]'"
        ) from e
    return board_shim


def board_id(board: str) -> int:
    """Return BrainFlow's numeric board id for an emgkit board name."""
    if board not in BOARD_IDS:
        raise ConfigError(
            f"Invalid value for the 'board' parameter. Allowed values are "
            f"{', '.join(repr(b) for b in BOARD_IDS)}, but got {board!r} instead."
        )
    return int(getattr(_bf().BoardIds, BOARD_IDS[board]).value)


class BrainFlowSource(Source):
    """A board through BrainFlow.

    Parameters
    ----------
    board : str
        ``cyton``, ``cyton-daisy``, ``ganglion``, ``cyton-wifi``, ``cyton-daisy-wifi``,
        ``synthetic`` or ``playback``.
    serial_port : str, optional
        Serial port (dongle, or the emulator's pseudo-terminal) for serial boards.
    ip_address : str, optional
        The WiFi shield's address.
    ip_port : int
        Local TCP port the WiFi shield connects back to (WiFi boards; 0 picks a free one).
    channels : sequence of int, optional
        Board inputs (1-based) to deliver, in order; all EXG inputs if None.
    playback_file : str or os.PathLike, optional
        For ``playback``: a file written by BrainFlow's ``DataFilter.write_file``.
    master_board : str
        For ``playback``: the board that recorded the file.
    emg_setup : bool
        Send the OpenBCI EMG channel settings (SRB2 off) for the used inputs (Cyton family).
    stall_timeout_s : float
        :meth:`read` raises :class:`AcquisitionError` after this long without a sample.
    timeout_s : int
        BrainFlow's connection timeout (WiFi HTTP requests).
    trigger_pin : str, optional
        Cyton family: switch the board to digital read (``/3``) and turn rising edges
        on this pin (``D11``, ``D12``, ``D13``, ``D17``, ``D18``) into markers valued
        with the pin's number (:mod:`acquisition.triggers`); the accelerometer is then
        off.
    """

    def __init__(
        self,
        board: str,
        *,
        serial_port: str | None = None,
        ip_address: str | None = None,
        ip_port: int = 0,
        channels: Sequence[int] | None = None,
        playback_file=None,
        master_board: str = "cyton",
        emg_setup: bool = True,
        stall_timeout_s: float = 3.0,
        timeout_s: int = 0,
        trigger_pin: str | None = None,
    ):
        bs = _bf()
        self.board = board
        self.board_id = board_id(board)
        params = bs.BrainFlowInputParams()
        self.address = ""
        if board in SERIAL_BOARDS:
            if not serial_port:
                raise ConfigError(f"board {board!r} needs a serial port (--serial-port)")
            params.serial_port = str(serial_port)
            self.address = str(serial_port)
        elif board in WIFI_BOARDS:
            if not ip_address:
                raise ConfigError(f"board {board!r} needs the shield's IP address (--ip-address)")
            params.ip_address = str(ip_address)
            params.ip_port = int(ip_port) or _free_port()
            self.address = f"{ip_address} (host port {params.ip_port})"
        elif board == "playback":
            if not playback_file or not Path(playback_file).is_file():
                raise ConfigError(f"board 'playback' needs an existing file, got {playback_file!r}")
            params.file = str(playback_file)
            params.master_board = board_id(master_board)
            self.address = str(playback_file)
        if timeout_s:
            params.timeout = int(timeout_s)
        self.params = params
        self.data_board_id = params.master_board if board == "playback" else self.board_id
        self.descr_board = master_board if board == "playback" else board
        shim = bs.BoardShim
        self._rows_exg = list(shim.get_exg_channels(self.data_board_id))
        try:
            self._rows_accel = list(shim.get_accel_channels(self.data_board_id))
        except bs.BrainFlowError:
            self._rows_accel = []
        self._row_pkg = shim.get_package_num_channel(self.data_board_id)
        self._row_ts = shim.get_timestamp_channel(self.data_board_id)
        self._row_marker = shim.get_marker_channel(self.data_board_id)
        fs = float(shim.get_sampling_rate(self.data_board_id))
        self._init_trigger(trigger_pin)
        nominal = BOARDS.get(self.descr_board)
        chans = select_channels(channels, len(self._rows_exg), board)
        self._sel = [self._rows_exg[c - 1] for c in chans]
        daisy_serial = self.descr_board == "cyton-daisy"
        self.info = SourceInfo(
            board=board, fs_hz=fs, channels=chans, n_board_channels=len(self._rows_exg),
            has_accel=bool(self._rows_accel), counter_step=2 if daisy_serial else 1,
            gain=nominal.gain if nominal else None,
            uv_per_count=nominal.uv_per_count if nominal else None,
            full_scale_uv=nominal.full_scale_uv if nominal else None,
            address=self.address,
        )
        self.emg_setup = emg_setup
        self.stall_timeout_s = float(stall_timeout_s)
        self._shim = None
        self._streaming = False
        self._last_data = 0.0

    def _init_trigger(self, pin: str | None) -> None:
        """Find the BrainFlow row of the trigger pin (``get_other_channels``)."""
        self.trigger_pin = None
        self._row_trigger = None
        self._trigger_value = 0.0
        self._edges = EdgeDetector()
        if pin is None:
            return
        if self.descr_board not in CYTON_FAMILY:
            raise ConfigError(f"board {self.board!r} has no digital-read mode for a trigger "
                              "pin (Cyton boards only)")
        self.trigger_pin = check_pin(pin, self.descr_board)
        other = list(_bf().BoardShim.get_other_channels(self.data_board_id))
        self._row_trigger = other[PIN_OTHER_INDEX[self.trigger_pin]]
        self._trigger_value = float(self.trigger_pin[1:])
        if self._rows_accel:  # the accelerometer is off in digital read
            self._rows_accel = []

    # -- errors ---------------------------------------------------------------------------
    def _error(self, what: str, e: Exception) -> AcquisitionError:
        code = getattr(e, "exit_code", None)
        name = ""
        if code is not None:
            try:
                name = _bf().BrainFlowExitCodes(code).name
            except ValueError:
                name = "UNKNOWN"
        where = f" on {self.address}" if self.address else ""
        msg = f"{what} failed for board {self.board}{where}"
        if code is not None:
            msg += f": BrainFlow error {code} ({name})"
        elif isinstance(e, UnicodeDecodeError):
            msg += ": the board's reply was not text (is it still streaming?)"
        else:
            msg += f": {e}"
        err = AcquisitionError(msg)
        err.brainflow_code = code
        return err

    # -- Source interface ---------------------------------------------------------------------
    def open(self) -> None:
        """Prepare the BrainFlow session and send the EMG channel settings.

        A serial Cyton that does not answer (still streaming from a crashed run) is told
        to stop (``s``), drained and connected once more (:mod:`.serial_quiet`).
        """
        if self._shim is not None:
            return
        try:
            self._connect()
        except AcquisitionError as first:
            if self.board not in ("cyton", "cyton-daisy") or first.brainflow_code == _bf(
                    ).BrainFlowExitCodes.UNABLE_TO_OPEN_PORT_ERROR.value:
                raise
            log.info("%s; stopping the board's stream and trying again", first)
            try:
                drained = quiet_serial_board(self.address)
                log.info("drained %d bytes from %s", drained, self.address)
                self._connect()
            except (AcquisitionError, OSError) as e:
                raise AcquisitionError(
                    f"{first}; it still failed after telling the board to stop streaming "
                    f"({e}): switch the board off and on (or replug the dongle) and try "
                    "again") from None

    def _connect(self) -> None:
        shim = _bf().BoardShim(self.board_id, self.params)
        _SHIMS.append(shim)
        # release_session() after a failed prepare raises BOARD_NOT_CREATED: skip it.
        err = self._call("connecting (prepare_session)", shim.prepare_session)
        if err is not None:
            raise err
        self._shim = shim
        if self.emg_setup and self.board in CYTON_FAMILY:
            cmd = "".join(emg_channel_command(c) for c in self.info.channels)
            reply: list = []
            err = self._call(f"sending EMG channel settings {cmd!r}",
                             lambda: reply.append(shim.config_board(cmd)))
            if err is not None:
                self.close()
                raise err
            if isinstance(reply[0], str) and reply[0].startswith("Failure"):
                self.close()
                raise AcquisitionError(
                    f"board {self.board} on {self.address} refused the EMG channel settings: "
                    f"{reply[0].strip()}"
                )
        if self._row_trigger is not None and self.board != "playback":
            self._digital_mode(shim)

    def _digital_mode(self, shim) -> None:
        """Switch the board to digital read (``/3``) for the trigger pin."""
        reply: list = []
        err = self._call(f"selecting the digital-read mode ({DIGITAL_MODE_COMMAND!r})",
                         lambda: reply.append(shim.config_board(DIGITAL_MODE_COMMAND)))
        if err is None and isinstance(reply[0], str) and "digital" not in reply[0]:
            err = AcquisitionError(f"board {self.board} on {self.address} did not enter the "
                                   f"digital-read mode: {reply[0].strip()!r}")
        if err is not None:
            self.close()
            raise err

    def _call(self, what: str, fn) -> AcquisitionError | None:
        """Call ``fn()``; return its failure as an :class:`AcquisitionError` (not raised)."""
        try:
            fn()
        except Exception as e:  # BrainFlow's error, or a reply that is not text
            return self._error(what, e)
        return None

    def start(self) -> None:
        """Start streaming (opens the board first if needed)."""
        self.open()
        if self._streaming:
            return
        bs = _bf()
        try:
            self._shim.start_stream(max(45000, int(self.info.fs_hz * 60)))
        except bs.BrainFlowError as e:
            raise self._error("starting the stream", e) from None
        self._streaming = True
        self._last_data = time.monotonic()

    def read(self, timeout_s: float = 0.1) -> Block | None:
        """Return the samples BrainFlow has buffered (waits up to ``timeout_s`` for some)."""
        if not self._streaming:
            raise AcquisitionError(f"board {self.board}: read() before start()")
        bs = _bf()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                n = self._shim.get_board_data_count()
                data = self._shim.get_board_data() if n else None
            except bs.BrainFlowError as e:
                raise self._error("reading data", e) from None
            now = time.monotonic()
            if data is not None and data.shape[1]:
                self._last_data = now
                return self._to_block(data)
            if now - self._last_data > self.stall_timeout_s:
                raise AcquisitionError(
                    f"board {self.board} on {self.address or 'its link'} sent no data for "
                    f"{now - self._last_data:.1f} s: disconnected, out of range or battery flat"
                )
            if now >= deadline:
                return empty_block(len(self.info.channels), self.info.has_accel)
            time.sleep(min(0.01, max(0.0, deadline - now)))

    def _to_block(self, data: np.ndarray) -> Block:
        accel = data[self._rows_accel].T.astype(np.float32) if self._rows_accel else None
        marker = data[self._row_marker].astype(np.float64)
        if self._row_trigger is not None:
            edges = self._edges.rising(data[self._row_trigger])
            edges = edges[marker[edges] == 0]  # an inserted marker on the same sample wins
            marker[edges] = self._trigger_value
        return Block(
            emg_uv=np.ascontiguousarray(data[self._sel].T, dtype=np.float32),
            package_num=data[self._row_pkg].astype(np.int64),
            timestamps_s=data[self._row_ts].astype(np.float64),
            accel_g=accel,
            marker=marker,
        )

    def insert_marker(self, value: float) -> None:
        """Insert a marker into BrainFlow's stream (lands on the next sample)."""
        if not value:
            raise ValueError("a marker value must be non-zero")
        try:
            self._shim.insert_marker(float(value))
        except Exception as e:
            raise self._error("inserting a marker", e) from None

    def stop(self) -> None:
        """Stop streaming (errors while stopping a lost board are logged, not raised)."""
        if self._shim is not None and self._streaming:
            self._streaming = False
            try:
                self._shim.stop_stream()
            except Exception as e:  # a vanished board cannot be stopped cleanly
                log.warning("stopping %s: %s", self.board, e)

    def close(self) -> None:
        """Release the BrainFlow session."""
        shim, self._shim = self._shim, None
        self._streaming = False
        if shim is not None:
            try:
                shim.release_session()
            except Exception as e:
                log.warning("releasing %s: %s", self.board, e)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def silence_brainflow(log_file: str | None = None) -> None:
    """Stop BrainFlow logging to stderr (or send its log to ``log_file``)."""
    shim = _bf().BoardShim
    if log_file:
        shim.set_log_file(str(log_file))
        shim.enable_board_logger()
    else:
        shim.disable_board_logger()
