"""Writing a file whole or not at all.

The text goes to a temporary file beside the target, which is then renamed over it: a
reader never sees half a file, and a failed write leaves the old file as it was. The file
gets the permissions any new file gets (the umask's).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by a file holding ``text``; raises :class:`OSError` on failure."""
    folder = path.parent if str(path.parent) else Path(".")
    temp = folder / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with temp.open("x", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
