"""The learned scorer's fitted numbers on disk (bot/core/scam/learned.py `ScorerStore`): one
`<key>.npz` per set of examples under SCORER_CACHE_DIR, so that a process that starts loads the
scorer instead of training it. Arrays only (numpy's loader without pickle): a file read is data,
never code. Written to a temporary file and renamed, so a reader never sees half of one; a file
that cannot be read is treated as absent (trained again and written over)."""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from pathlib import Path

from bot.core.scam.learned import FittedNumbers

log = logging.getLogger(__name__)

_ARRAYS = ("terms", "idf", "coef", "intercept", "classes")


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

    def _warn(self, message: str, where: object, why: object) -> None:
        if not self._warned:
            self._warned = True
            reason = why if isinstance(why, str) else type(why).__name__
            log.warning(message, where, reason)
