"""The leak guard: finds the platform's identifiers in anything a storefront sends."""

from __future__ import annotations

import re
from collections.abc import Mapping


def platform_markers(config: Mapping) -> list[str]:
    """Return every string that would betray the platform, from its configuration."""
    markers = [config["PLATFORM_NAME"], config["PLATFORM_SUPPORT_EMAIL"], *config["PLATFORM_DOMAINS"]]
    for phone in config["PLATFORM_PHONES"]:
        digits = re.sub(r"\D", "", phone)
        markers += [phone, digits, digits.removeprefix("6")]  # +603…, 603…, 03…
    return [marker for marker in markers if marker]


def find_leaks(config: Mapping, *texts: str) -> list[str]:
    """Return the markers found in any of the texts, case-insensitively and ignoring spaces in numbers."""
    found = []
    for text in texts:
        folded = text.casefold()
        squeezed = re.sub(r"[\s\-().]", "", folded)
        for marker in platform_markers(config):
            needle = marker.casefold()
            if needle in folded or (needle.isdigit() and needle in squeezed):
                found.append(marker)
    return found


def response_texts(response) -> list[str]:
    """Return a response's body and headers as texts to search."""
    headers = [f"{name}: {value}" for name, value in response.headers.items()]
    return [response.get_data().decode("latin-1"), *headers]
