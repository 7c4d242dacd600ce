"""Run a regex on a large untrusted body in bounded windows around literal anchors.

Python's `re` backtracks, and a case-insensitive alternation costs about a microsecond per
character: on a 2 MiB body an attacker shapes, even a linear pattern takes seconds and a
bounded-repetition one (`[^\\n]{0,500}?`) multiplies by its bound. So each pattern here runs
only near the places where one of its literal anchors occurs (found with `str.find`, in C),
in windows merged and capped (and only near the first MAX_HITS anchors), so the work stays
well under a second on any body.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

BEFORE = 400  # characters kept before an anchor (a match may start before it)
AFTER = 800  # and after it (a match may end after it)
MAX_WINDOW = 64 * 1024
# Only the first anchors are looked at: a page that repeats an anchor 100 000 times is shaped
# to waste our time, and a real error shows up among the first few.
MAX_HITS = 100


class Anchored:
    """A compiled pattern with its anchors; `search` is `re.Pattern.search` in windows.

    Every match of the pattern must contain one of the anchors (lower case) and be shorter
    than BEFORE + AFTER characters: the pattern's repetitions are bounded to make that so.
    """

    def __init__(self, pattern: re.Pattern[str], anchors: tuple[str, ...]) -> None:
        self.pattern = pattern
        self.anchors = anchors

    def search(self, text: str) -> re.Match[str] | None:
        if len(text) <= MAX_WINDOW:
            return self.pattern.search(text)
        lowered = text.replace("\u0130", "i").lower()  # İ is the one that lengthens
        if len(lowered) != len(text):  # pragma: no cover - defensive
            return self.pattern.search(text)
        for start, end in _windows(lowered, self.anchors):
            match = self.pattern.search(text, start, end)
            if match:
                return match
        return None


def _windows(lowered: str, anchors: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Merged (start, end) spans around every anchor occurrence, each at most MAX_WINDOW."""
    hits = sorted(
        position
        for anchor in anchors
        for position in itertools.islice(_find_all(lowered, anchor), MAX_HITS)
    )[:MAX_HITS]
    start = end = -1
    for position in hits:
        low, high = max(0, position - BEFORE), min(len(lowered), position + AFTER)
        if start >= 0 and low <= end and high - start <= MAX_WINDOW:
            end = max(end, high)
            continue
        if start >= 0:
            yield start, end
        start, end = low, high
    if start >= 0:
        yield start, end


def _find_all(text: str, needle: str) -> Iterator[int]:
    position = text.find(needle)
    while position >= 0:
        yield position
        position = text.find(needle, position + 1)
