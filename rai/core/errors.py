"""Exit codes and the exceptions that map to them (the founding design, "Exit codes").

Library code raises `InputError` for anything the user can fix (bad file, bad flag,
bad policy); the CLI turns it into one line on stderr and exit code 2. Anything else
that escapes is a bug: exit code 3.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class RaiError(Exception):
    """Base class of the errors rai raises on purpose."""

    exit_code = EXIT_INTERNAL


# C0 and C1 controls (ESC, CR, LF, NUL, ...), line and paragraph separators, and the bidi embeddings,
# overrides, isolates and marks: in a message they would recolour, rewrite or reorder the user's terminal.
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control character shown as its Python escape (`\\x1b`, `\\n`, `\\u202e`): every line
    rai prints to stderr goes through this, so file names, column names and values from data stay inert."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class InputError(RaiError):
    """Bad usage or bad input. The message must say what is wrong and where, on one line."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        text = " ".join(str(message).split())  # one line; a path keeps its characters, escaped
        super().__init__(f"{printable(str(where))}: {text}" if where else text)


class Interrupted(RaiError):
    """Stopped by a signal after saving what resumes the work; exit 128 + the signal's number (shell convention)."""

    def __init__(self, message: str, *, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(message)


class Stopped(BaseException):
    """SIGTERM or SIGINT arrived while a command ran (not `rai train`, which checkpoints first).

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it, and every
    `finally` removes what the command had staged; the process exits 128 + the signal's number.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signum)
