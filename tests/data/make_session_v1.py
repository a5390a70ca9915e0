"""Write tests/data/session_v1.h5, the kept example of session format v1.

Run once with emgkit 0.1.0 (format v1); the file is committed and must stay readable by
every later emgkit (tests/io/test_store.py::test_kept_v1_file_still_opens).
"""

from pathlib import Path

import numpy as np

from emgkit.io.writer import write_session
from emgkit.model import Channel, Device, Events, Montage, Session, Task, Trial

x = np.arange(500, dtype=np.float32).reshape(250, 2)
montage = Montage(
    "v1", (Channel(1, "semitendinosus", "right"), Channel(2, "biceps_femoris", "right"))
)
session = Session(
    "V1-fixture",
    Device("cyton", 250.0, gain=24.0, uv_per_count=4.5 / 24 / (2**23 - 1) * 1e6,
           full_scale_uv=187500.0, mains_hz=50.0),
    montage,
    [
        Trial("a", Task("mvc", target="hamstrings"), 250.0, x,
              start_time="2026-11-23T12:00:00.000Z"),
        Trial("b", Task("hinge", variant="romanian_deadlift", load_kg=40.0), 250.0, -x,
              package_num=(np.arange(250) % 256).astype(np.int16),
              events=Events([10, 200], ["rep_start", "rep_end"], ["1", "1"]),
              start_time="2026-11-23T12:01:00.000Z"),
    ],
)
out = Path(__file__).with_name("session_v1.h5")
write_session(out, session, overwrite=True)
print(out)
