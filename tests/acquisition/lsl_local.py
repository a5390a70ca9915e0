"""An LSL configuration that keeps every packet on this machine (DESIGN.md).

Import this module before ``pylsl``: it writes the configuration and points ``LSLAPICFG``
at it (liblsl reads it once, when it loads).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CONFIG = """\
[ports]
IPv6 = disable

[multicast]
ResolveScope = machine
MachineAddresses = {}
LinkAddresses = {}
SiteAddresses = {}
OrganizationAddresses = {}
GlobalAddresses = {}

[lab]
KnownPeers = {127.0.0.1}
"""

PATH = Path(tempfile.gettempdir()) / f"emgkit-test-lsl_api-{os.getpid()}.cfg"
PATH.write_text(CONFIG)
os.environ["LSLAPICFG"] = str(PATH)


def env() -> dict:
    """The environment for a subprocess that uses LSL."""
    return {**os.environ, "LSLAPICFG": str(PATH)}
