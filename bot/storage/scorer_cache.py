"""The learned scorer's fitted numbers on disk (bot/core/scam/learned.py `ScorerStore`): one
`<key>.npz` per set of examples under SCORER_CACHE_DIR, so that a process that starts loads the
scorer instead of training it. Arrays only (numpy's loader without pickle): a file read is data,
never code. Written to a temporary file and renamed, so a reader never sees half of one; a file
that cannot be read is treated as absent (trained again and written over). Every changed example
is a new key, so each write keeps only the most recently used files (a load marks its file used)
and the directory does not grow with every edit of the examples."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path

from bot.core.scam.learned import FittedNumbers

log = logging.getLogger(__name__)

_ARRAYS = ("terms", "idf", "coef", "intercept", "classes")

# One scorer per language in use, with room for a few languages and for a process still running
# the examples of the previous release.
KEEP = 12

# A temporary file this old is a writer that died, not one still writing.
_STALE_TEMPORARY_SECONDS = 3600.0


class FileScorerStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._warned = False

    # Two stores of one directory are one store: the process's scorers are cached by store
    # (bot/core/scam/learned.py), and each bootstrap opens a store of its own.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileScorerStore) and other.directory == self.directory

    def __hash__(self) -> int:
        return hash(self.directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def get(self, key: str) -> FittedNumbers | None:
        # numpy is imported here, not with the module: every command opens the store, few check
        # a message (tests/test_cli_startup.py).
        import numpy as np

        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in _ARRAYS}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            # Its name and the error's kind only: what a file holds is never logged.
            self._warn("unreadable learned scorer cache %s (%s), training again", path.name, exc)
            return None
        fitted = FittedNumbers(**arrays)
        if arrays["terms"].dtype.kind != "U" or not fitted.fits_together():
            self._warn(
                "unreadable learned scorer cache %s (%s), training again", path.name, "shape"
            )
            return None
        self._mark_used(path)
        return fitted

    def put(self, key: str, fitted: FittedNumbers) -> None:
        import numpy as np

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=f".{key}.", suffix=".tmp"
            )
            try:
                with os.fdopen(handle, "wb") as out:
                    np.savez(out, **{name: getattr(fitted, name) for name in _ARRAYS})
                os.replace(temporary, self._path(key))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self._warn("learned scorer cache not written in %s (%s)", self.directory, exc)
            return
        self._prune()

    @staticmethod
    def _mark_used(path: Path) -> None:
        # A read-only cache still serves; it is pruned by whoever can write it.
        with contextlib.suppress(OSError):
            os.utime(path)

    def _prune(self) -> None:
        """Keeps the KEEP most recently used scorers and drops dead writers' temporary files;
        another process may be pruning too, so a file already gone is not an error."""
        now = time.time()
        used: list[tuple[float, Path]] = []
        for path in self.directory.iterdir():
            try:
                modified = path.stat().st_mtime
            except OSError:
                continue
            if path.name.endswith(".tmp"):
                if now - modified > _STALE_TEMPORARY_SECONDS:
                    path.unlink(missing_ok=True)
            elif path.suffix == ".npz":
                used.append((modified, path))
        used.sort(reverse=True)
        for _, path in used[KEEP:]:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def _warn(self, message: str, where: object, why: object) -> None:
        if not self._warned:
            self._warned = True
            reason = why if isinstance(why, str) else type(why).__name__
            log.warning(message, where, reason)
