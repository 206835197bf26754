"""`python -m rai …` (and `torchrun … -m rai train …`) runs the `rai` command."""

import sys

from rai.cli.main import main

sys.exit(main())
