"""The emgkit error hierarchy.

Library code raises these and never calls :func:`sys.exit`; the command line turns
an :class:`EmgkitError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike


class EmgkitError(Exception):
    """Base class of every error emgkit raises on bad input.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str or os.PathLike, optional
        The file the problem is in; the message is then prefixed with it.
    """

    def __init__(self, message: str, path: str | PathLike | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class FormatError(EmgkitError):
    """A file is missing, unreadable, of an unknown format, or malformed."""


class ConfigError(EmgkitError):
    """A montage, protocol or processing configuration is invalid."""


class AcquisitionError(EmgkitError):
    """A board, emulator or recorder failed."""


class AnalysisError(EmgkitError):
    """The data do not allow the requested analysis (e.g. no MVC reference)."""


@contextmanager
def about(path: str | PathLike | None, what: str = "") -> Iterator[None]:
    """Name ``path`` (and ``what`` in it, e.g. ``"trial t001"``) in errors raised inside.

    An :class:`EmgkitError` raised without a file (a filter that cannot be designed at a
    trial's rate, an analysis the data do not allow) is raised again, of the same type,
    with ``path`` and ``what`` before its message; one that names a file already passes.
    A ``path`` of None (data not from a file) adds ``what`` alone.
    """
    try:
        yield
    except EmgkitError as e:
        if e.path is not None:
            raise
        raise type(e)(f"{what}: {e.message}" if what else e.message, path) from None
