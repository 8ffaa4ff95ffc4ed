"""Error text fit to send to clients: absolute server paths cut to their last component.

Failure messages often name files (a model file that fails its checksum, a library raising from
its own folder). Clients need the file's name, not where the server keeps it; the full text stays
with the operator in ``plugin_errors`` (``aigc plugins``).
"""

from __future__ import annotations

import re

# An absolute POSIX path: not part of a URL or a relative path; stops at whitespace and quotes.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/-])(?:/[^\s/'\"`,;:()\[\]{}<>]+)+/?")


def without_paths(text: str) -> str:
    """``text`` with each absolute path replaced by its last component (``/srv/m/weights.bin`` ->
    ``weights.bin``)."""
    return _ABSOLUTE_PATH.sub(lambda match: match.group().rstrip("/").rsplit("/", 1)[-1] or "/", text)
