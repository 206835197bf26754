"""rai-suite: the `rai` command and the helpers shared by training/, audit/ and reports/."""

__version__ = "0.1.0"
