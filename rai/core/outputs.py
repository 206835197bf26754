"""One output policy for every command: nothing a user owns is replaced, dropped or deleted by surprise.

Why: an adversarial run found commands that overwrote their own inputs (`--out good.csv`), replaced
unrelated files (`--findings`, `--redact`), deleted a folder that merely held a `demo.json`, and left
half of their outputs (or hidden temp files) behind when they failed or were stopped (issue 12).

The rules, for `rai train`, every `rai audit`, `rai gate --verdict`, `rai report` and `rai demo`:

1. An output is never one of the command's inputs, nor another output of the same command (same real
   path, or the same file through a hard link or a symlink).
2. An existing output file is kept unless the user says otherwise: audits merge into an existing
   `--out` with `--append`/`--replace`; `--force` overwrites any existing output file.
3. Every output is staged in a temporary file beside its target; `commit()` renames them all (signals
   held off meanwhile) or none, and on any failure, error or SIGTERM/SIGINT the temporaries go.
4. Every file-system problem with an output is an `InputError` (exit 2) that names the path.

Directories are never removed unless this command created them (`fresh_output_dir`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from rai.core.errors import InputError, Stopped
from rai.core.io import RENAME_EXCHANGE, RENAME_NOREPLACE, renameat2

ERR_IS_INPUT = "is also an input of this command ({flag}); refusing to overwrite it (choose another path)"
ERR_TWO_OUTPUTS = "is given for two outputs ({first} and {second}); choose a different path for each"
ERR_EXISTS = "already exists ({flag}); add --force to overwrite it, or choose another path"
ERR_AUDIT_EXISTS = ("already exists ({flag}); add --append or --replace to merge into it, --force to overwrite it, "
                    "or choose another path")
ERR_IS_DIR = "is a directory ({flag}); expected a file name"
ERR_NOT_REGULAR = "is not a regular file ({flag}): a device, pipe or socket is never replaced, even with --force"
ERR_PARENT_NOT_DIR = "cannot write here ({flag}): {parent} is not a directory"
ERR_WRITE = "cannot write ({flag}): {reason}"
ERR_APPEARED = "appeared while this command ran ({flag}); nothing was written"
ERR_OUT_DIR_IS_FILE = "is a file ({flag}); expected a directory"
ERR_NOT_OURS = ("exists and is not a complete previous output of `{command}` ({reason}); nothing was removed "
                "(choose another {flag}, or remove it yourself)")
MANIFEST_KEY = "files"

SIGNALS = (signal.SIGTERM, signal.SIGINT)


# --- identities -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Identity:
    real: str
    inode: tuple[int, int] | None  # (device, inode) of an existing file, so hard links compare equal

    def same(self, other: "_Identity") -> bool:
        return self.real == other.real or (self.inode is not None and self.inode == other.inode)


def _identity(path: str | os.PathLike) -> _Identity:
    real = os.path.realpath(path)
    try:
        st = os.stat(path)
        inode: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except OSError:
        inode = None
    return _Identity(real, inode)


def _write_error(exc: OSError, path: str | os.PathLike, flag: str) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(ERR_WRITE.format(flag=flag, reason=reason), where=str(path))


def _check_parents(path: Path, flag: str, shown: str | None = None) -> None:
    """The nearest existing ancestor must be a directory where files can be made (`data.csv/out.json`,
    `/proc/x`, a read-only folder): found before the command's work, not after it."""
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise InputError(ERR_PARENT_NOT_DIR.format(flag=flag, parent=parent), where=shown or str(path))
            try:  # a probe: made and removed at once (os.access says yes to root on /proc)
                with _signals_held():
                    fd, probe = tempfile.mkstemp(prefix=".rai-probe.", dir=parent)
                    os.close(fd)
                    os.unlink(probe)
            except OSError as exc:
                raise _write_error(exc, shown or path, flag) from None
            return


# --- one command's outputs --------------------------------------------------------------------

@dataclass
class _Staged:
    tmp: Path
    target: Path
    flag: str
    existed: bool


class CommandOutputs:
    """The outputs of one command: checked against its inputs and each other, staged, committed together.

        outputs = CommandOutputs(inputs=[...], force=args.force)
        outputs.claim("audit.json", "--out", merge=True)      # fail early, before any work
        with outputs:
            outputs.write_text("audit.json", text, "--out")   # or temp_for() for streamed outputs
        # all renamed into place, or (error, SIGTERM, Ctrl-C) none and no temp file left
    """

    def __init__(self, inputs: Iterable[str | os.PathLike] = (), *, force: bool = False) -> None:
        self.force = force
        self._inputs: list[tuple[str, _Identity]] = []
        self._claims: dict[str, tuple[str, Path, bool]] = {}  # real path -> (flag, path, existed when claimed)
        self._staged: list[_Staged] = []
        self._created_dirs: list[Path] = []
        self.committed: list[Path] = []  # what the last commit put in place, in staging order
        self.add_inputs(inputs)

    # checks
    def add_inputs(self, inputs: Iterable[str | os.PathLike]) -> None:
        """Register input paths; an output already claimed that is one of them is refused now."""
        for p in inputs:
            self._inputs.append((str(p), _identity(p)))
        for flag, path, _ in list(self._claims.values()):
            self._check_not_input(path, flag)

    def _check_not_input(self, path: Path, flag: str, shown: str | None = None) -> None:
        me = _identity(path)
        for _, ident in self._inputs:
            if me.same(ident):
                raise InputError(ERR_IS_INPUT.format(flag=flag), where=shown or str(path))

    def claim(self, path: str | os.PathLike, flag: str, *, merge: bool = False, mergeable: bool = False) -> Path:
        """Check one output file before any work: not an input, not another output, parent a directory,
        and (unless `merge` or --force) not an existing file. `mergeable`: the error names --append/--replace.
        Claiming the same path for the same flag again is a no-op."""
        p, shown = Path(path), str(path)  # messages name the path as the user spelled it
        key = os.path.realpath(p)
        previous = self._claims.get(key)
        if previous is not None:
            if previous[0] != flag:
                raise InputError(ERR_TWO_OUTPUTS.format(first=previous[0], second=flag), where=shown)
            return p
        for other_flag, other, _ in self._claims.values():
            if _identity(other).same(_identity(p)):
                raise InputError(ERR_TWO_OUTPUTS.format(first=other_flag, second=flag), where=shown)
        self._check_not_input(p, flag, shown)
        if p.is_dir():
            raise InputError(ERR_IS_DIR.format(flag=flag), where=shown)
        if p.exists() and not p.is_file():
            raise InputError(ERR_NOT_REGULAR.format(flag=flag), where=shown)
        _check_parents(p, flag, shown)
        existed = p.exists() or p.is_symlink()
        if existed and not merge and not self.force:
            raise InputError((ERR_AUDIT_EXISTS if mergeable else ERR_EXISTS).format(flag=flag), where=shown)
        self._claims[key] = (flag, p, existed)
        return p

    # staging
    def temp_for(self, path: str | os.PathLike, flag: str) -> Path:
        """A new temporary file beside `path` (claimed first), renamed over it by `commit()`."""
        target = self.claim(path, flag)
        existed = self._claims[os.path.realpath(target)][2]  # as checked then: a file that appears later is kept
        with _signals_held():  # recorded as soon as it exists, so a stop cannot orphan it
            try:
                missing = [d for d in [target.parent, *target.parent.parents] if not d.exists()]
                target.parent.mkdir(parents=True, exist_ok=True)
                self._created_dirs.extend(missing)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            except OSError as exc:
                raise _write_error(exc, target, flag) from None
            self._staged.append(_Staged(Path(tmp), target, flag, existed))
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        return Path(tmp)

    def write_bytes(self, path: str | os.PathLike, data: bytes, flag: str) -> None:
        tmp = self.temp_for(path, flag)
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise _write_error(exc, path, flag) from None

    def write_text(self, path: str | os.PathLike, text: str, flag: str) -> None:
        self.write_bytes(path, text.encode("utf-8"), flag)

    def commit(self) -> None:
        """fsync every temporary file, then rename each over its target, with SIGTERM/SIGINT held off.

        A target that exists is swapped with its temporary file (Linux renameat2 exchange), so a
        failure half-way swaps the done ones back; a target that did not exist must still not exist
        (no-replace rename). Elsewhere: plain renames.
        """
        staged, self._staged = self._staged, []
        with _signals_held():
            try:
                for s in staged:
                    _fsync(s.tmp, s.target, s.flag)
                done: list[tuple[_Staged, bool]] = []
                try:
                    for s in staged:
                        done.append((s, _install(s)))
                except BaseException:
                    for s, swapped in reversed(done):
                        with contextlib.suppress(OSError):
                            renameat2(s.tmp, s.target, RENAME_EXCHANGE) if swapped else os.unlink(s.target)  # type: ignore[func-returns-value]
                    raise
            except BaseException:
                self._staged = staged
                self.discard()
                raise
            for s in staged:  # the previous contents of swapped targets
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(s.tmp)
        self._created_dirs.clear()
        self.committed = [s.target for s in staged]
        for s in staged:  # now this command's own file: a later commit may replace it (`rai monitor`'s snapshots)
            self._claims[os.path.realpath(s.target)] = (s.flag, s.target, True)

    def discard(self) -> None:
        for s in self._staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.tmp)
        self._staged.clear()
        for d in self._created_dirs:  # innermost first: only directories this command created, if empty
            with contextlib.suppress(OSError):
                d.rmdir()
        self._created_dirs.clear()

    def __enter__(self) -> "CommandOutputs":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(tmp: Path, target: Path, flag: str) -> None:
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _write_error(exc, target, flag) from None


def _install(s: _Staged) -> bool:
    """Move one staged file into place; True when it was swapped with an existing target."""
    exists = s.target.exists() or s.target.is_symlink()
    if exists and not s.existed:
        raise InputError(ERR_APPEARED.format(flag=s.flag), where=str(s.target))
    try:
        if exists:
            if renameat2(s.tmp, s.target, RENAME_EXCHANGE):
                return True
            os.replace(s.tmp, s.target)
            return False
        if not renameat2(s.tmp, s.target, RENAME_NOREPLACE):
            os.replace(s.tmp, s.target)
        return False
    except FileExistsError:
        raise InputError(ERR_APPEARED.format(flag=s.flag), where=str(s.target)) from None
    except OSError as exc:
        raise _write_error(exc, s.target, s.flag) from None




# --- signals ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT until the block ends: the renames of one commit are not split by a stop."""
    can = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if can else None
    try:
        yield
    finally:
        if can and previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM (and SIGINT) raise `Stopped` wherever the command is, so every `finally` and `with`
    cleans up (staged temp files, half-made directories) before the process exits 128 + N.
    Without it SIGTERM kills Python outright and leaves hidden temp files behind.
    `rai train` installs its own handlers (checkpoint first) for the duration of training."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_stopped) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# --- output directories -----------------------------------------------------------------------

def check_output_dir(path: str | os.PathLike, flag: str, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Checks for an output directory before any work: not a file, not an input, parents are directories."""
    p = Path(path)
    me = _identity(p)
    for i in inputs:
        if me.same(_identity(i)):
            raise InputError(ERR_IS_INPUT.format(flag=flag), where=str(p))
    if (p.exists() or p.is_symlink()) and not p.is_dir():
        raise InputError(ERR_OUT_DIR_IS_FILE.format(flag=flag), where=str(p))
    _check_parents(p, flag)
    return p


def _tree_files(root: Path) -> dict[str, Path] | str:
    """Every regular file under `root` by relative path, or a reason why the tree is not plain."""
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in [*dirnames, *filenames]:
            p = here / name
            if p.is_symlink():
                return f"{p.relative_to(root)} is a symbolic link"
            if name in filenames:
                if not p.is_file():
                    return f"{p.relative_to(root)} is not a regular file"
                files[p.relative_to(root).as_posix()] = p
    return files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def manifest(root: str | os.PathLike, *, exclude: str) -> dict[str, str]:
    """SHA-256 of every file under `root` except `exclude` (the marker that will hold this manifest)."""
    files = _tree_files(Path(root))
    assert isinstance(files, dict), files
    return {rel: _sha256(p) for rel, p in sorted(files.items()) if rel != exclude}


def _why_not_ours(root: Path, marker: str, *, contents: bool = True) -> str | None:
    """None when `root` holds exactly the files its marker lists (with the listed contents, if `contents`)."""
    files = _tree_files(root)
    if isinstance(files, str):
        return files
    if marker not in files:
        return f"no {marker}"
    try:
        listed = json.loads(files[marker].read_text(encoding="utf-8"))[MANIFEST_KEY]
        assert isinstance(listed, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return f"{marker} lists no files"
    extra = sorted(set(files) - set(listed) - {marker})
    if extra:
        return f"{extra[0]} was not written by it"
    for rel, digest in listed.items():
        if rel not in files:
            return f"{rel} is missing"
        if contents and _sha256(files[rel]) != digest:
            return f"{rel} was changed"
    return None


@contextlib.contextmanager
def fresh_output_dir(path: str | os.PathLike, *, marker: str, command: str, flag: str = "--out",
                     inputs: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """`path` as an empty directory this command owns for the duration of the block.

    An existing `path` must be empty, or a complete previous output of this command: its `marker`
    file lists every file with its SHA-256 (`manifest`), and the tree holds exactly those. Anything
    else is refused, nothing removed. The previous output is moved aside (a hidden sibling) and
    deleted only when the block succeeds; on error or signal the new one is removed and the old one
    moved back. The block must write `marker` (with `manifest`) last.
    """
    target = check_output_dir(path, flag, inputs)
    aside: Path | None = None  # where the previous output waits
    created = not target.exists()
    made = False  # whether `target` now holds this run's work
    if not created and any(target.iterdir()):
        reason = _why_not_ours(target, marker, contents=False)  # a folder that is not ours is never moved
        if reason is not None:
            raise InputError(ERR_NOT_OURS.format(command=command, reason=reason, flag=flag), where=str(target))
    try:
        # Every step that moves or makes a folder runs with SIGTERM/SIGINT held off, so a stop finds
        # each folder either where it was or recorded for the cleanup below.
        with _signals_held():
            if not created and any(target.iterdir()):
                aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
                os.replace(target, aside / "previous")  # hashed where nobody else writes
                created = True
                reason = _why_not_ours(aside / "previous", marker)
                if reason is not None:
                    raise InputError(ERR_NOT_OURS.format(command=command, reason=reason, flag=flag), where=str(target))
            try:
                target.mkdir(parents=True, exist_ok=not created)
            except OSError as exc:
                raise _write_error(exc, target, flag) from None
            made = True
        yield target
    except BaseException:
        with _signals_held():
            if made and created:
                shutil.rmtree(target, ignore_errors=True)
            elif made:  # an empty directory the user made: empty it again, keep it
                for child in list(target.iterdir()):
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()  # type: ignore[func-returns-value]
            if aside is not None:
                os.replace(aside / "previous", target)
                aside.rmdir()
        raise
    if aside is not None:
        with _signals_held():
            shutil.rmtree(aside, ignore_errors=True)


def marker_text(root: str | os.PathLike, marker: str, info: dict[str, Any]) -> str:
    """The marker file's JSON: `info` plus the manifest of everything else under `root`."""
    return json.dumps({**info, MANIFEST_KEY: manifest(root, exclude=marker)}, indent=2) + "\n"
