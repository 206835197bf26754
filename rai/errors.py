"""Exit codes and the exceptions that map to them (DESIGN.md, "Exit codes").

Library code raises `InputError` for anything the user can fix (bad file, bad flag,
bad policy); the CLI turns it into one line on stderr and exit code 2. Anything else
that escapes is a bug: exit code 3.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class RaiError(Exception):
    """Base class of the errors rai raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(RaiError):
    """Bad usage or bad input. The message must say what is wrong and where, on one line."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        text = f"{where}: {message}" if where else message
        super().__init__(" ".join(str(text).split()))


class Interrupted(RaiError):
    """Stopped by a signal after saving what resumes the work; exit 128 + the signal's number (shell convention)."""

    def __init__(self, message: str, *, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(message)
