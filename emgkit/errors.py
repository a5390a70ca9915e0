"""The emgkit error hierarchy.

Library code raises these and never calls :func:`sys.exit`; the command line turns
an :class:`EmgkitError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

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
