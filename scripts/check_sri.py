"""Check a downloaded file against the SRI hash pinned in the configuration module."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from pathlib import Path


def sri_of(data: bytes) -> str:
    """Return the sha384 Subresource Integrity value of some bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def main(file: str, config_module: str) -> int:
    pinned = re.search(r'HTMX_SRI = "([^"]+)"', Path(config_module).read_text())
    actual = sri_of(Path(file).read_bytes())
    if pinned is None or pinned.group(1) != actual:
        print(f"{file}: SRI {actual} does not match the pinned value", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
