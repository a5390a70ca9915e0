"""Default simulator montages with SENIAM placement notes."""

from __future__ import annotations

from emgkit._validate import check_option
from emgkit.model.montage import Montage, parse_montage

#: The eight muscles of the default montage, with their placement notes.
DEFAULT_MUSCLES: tuple[tuple[str, str], ...] = (
    ("semitendinosus", "SENIAM: 50% on the line between the ischial tuberosity and the medial "
     "epicondyle of the tibia"),
    ("biceps_femoris", "SENIAM: 50% on the line between the ischial tuberosity and the lateral "
     "epicondyle of the tibia"),
    ("gluteus_maximus", "SENIAM: 50% on the line between the sacral vertebrae and the greater "
     "trochanter"),
    ("erector_spinae", "SENIAM (longissimus): two finger widths lateral to the spinous process "
     "of L1"),
    ("vastus_lateralis", "SENIAM: 2/3 on the line from the anterior superior iliac spine to the "
     "lateral side of the patella"),
    ("rectus_femoris", "SENIAM: 50% on the line from the anterior superior iliac spine to the "
     "superior part of the patella"),
    ("rectus_abdominis", "not in SENIAM: 2-3 cm lateral to the umbilicus, fibres vertical "
     "(Ng et al. 1998)"),
    ("external_oblique", "not in SENIAM: lateral to the rectus abdominis at the level of the "
     "umbilicus, below the ribs, along the fibres (Ng et al. 1998)"),
)

_LAYOUT = {
    "cyton": (8, ("right",)),
    "cyton-wifi": (8, ("right",)),
    "ganglion": (4, ("right",)),
    "ganglion-wifi": (4, ("right",)),
    "cyton-daisy": (8, ("right", "left")),
    "cyton-daisy-wifi": (8, ("right", "left")),
    "synthetic": (8, ("right", "left")),
}


def default_montage(board: str = "cyton") -> Montage:
    """Return the simulator's default montage for a board.

    8-channel boards record the right side's semitendinosus, biceps femoris, gluteus
    maximus, erector spinae, vastus lateralis, rectus femoris, rectus abdominis and
    external oblique (inputs 1-8); 16-channel boards add the left side on inputs 9-16;
    4-channel boards (Ganglion) record the first four on the right.

    Parameters
    ----------
    board : str
        ``cyton``, ``cyton-wifi``, ``cyton-daisy``, ``cyton-daisy-wifi``, ``ganglion``,
        ``ganglion-wifi`` or ``synthetic``.

    Returns
    -------
    Montage
    """
    check_option("board", board, _LAYOUT)
    n_muscles, sides = _LAYOUT[board]
    channels = []
    for side in sides:
        for muscle, placement in DEFAULT_MUSCLES[:n_muscles]:
            channels.append({"number": len(channels) + 1, "muscle": muscle, "side": side,
                             "placement": placement})
    name = f"simulated-{board}-{len(channels)}ch"
    return parse_montage({"name": name, "board": board, "channel": channels}, "<default>")
