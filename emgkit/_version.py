"""The one place the software version is read from."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emgkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0+src"
