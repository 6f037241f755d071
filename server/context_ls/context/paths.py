"""Where context-ls keeps its state (snapshots, contexts, audit): one private folder."""

from __future__ import annotations

import os
from pathlib import Path

from context_ls.context.errors import PersistenceError

__all__ = ["STATE_DIR_ENV", "state_dir"]

STATE_DIR_ENV = "CONTEXT_LS_STATE_DIR"
_PRIVATE_FOLDER = 0o700


def state_dir(override: Path | str | None = None, *, create: bool = True) -> Path:
    """The state folder: `override`, else $CONTEXT_LS_STATE_DIR, else the platform's user
    state folder. Created (with parents) as 0700 when missing: snapshots hold whole
    transcripts, which often hold keys, so nobody else may read them. `create=False` only
    says where it is (for read-only commands)."""
    if override is not None and str(override) != "":
        folder = Path(override).expanduser()
    elif os.environ.get(STATE_DIR_ENV):
        folder = Path(os.environ[STATE_DIR_ENV]).expanduser()
    else:
        import platformdirs  # only paid for when the default is needed

        folder = Path(platformdirs.user_state_dir("context-ls"))
    folder = folder.absolute()
    if create and not folder.is_dir():
        try:
            folder.mkdir(mode=_PRIVATE_FOLDER, parents=True, exist_ok=True)
            os.chmod(folder, _PRIVATE_FOLDER)
        except OSError as exc:
            raise PersistenceError(
                f"Cannot create the state folder {folder}: {exc.strerror}."
            ) from exc
    return folder
