"""``python -m emgkit`` runs the command line."""

import sys

from emgkit.cli.main import main

sys.exit(main())
