"""Disclosure control: how every count the dashboards publish is protected, so that nobody can
recognise a child in them, alone or by setting one published figure against another.

The method is the Office for National Statistics' *cell key method* (used for the 2021
Census), with rounding made consistent across tables:

- Every child has a **record key**, a random number from 0 to 255 kept on their record and
  never shown (``Child.record_key``).
- A published count is a **cell**: the children of one plan kind, in one group, who gave one
  kind of answer. Its **cell key** is the sum of its children's record keys, modulo 256. The
  same children always give the same cell key, so the same cell is always published the same
  way; one more child changes the key to a value nobody can predict.
- A cell is **rounded to a multiple of 5**, up or down, the cell key deciding which: a count
  of 12 is published as 10 three times in five and as 15 twice in five (:func:`round_total`).
  A multiple of 5 is published as it is; 0 stays 0. Whatever is published, the count behind
  it could be anything from 4 below to 4 above it.
- Where the ONS perturbs each cell on its own, we make the figures **add up**: a plan kind's
  count is rounded first, and then each breakdown of it is rounded so that its groups add up
  to that rounded count, the cell keys choosing which groups go up (:func:`round_parts`).
  Figures that add up cannot be set against each other: "all plans" minus "care plans" minus
  the other kinds is 0 in the published figures, whatever the children did. With independent
  rounding, a total and its parts rounded different ways narrow each other down (an attacker
  solving them together pinned counts to one or two values); with these, every published
  count still leaves at least five possible counts behind it, whatever else is published
  (``docs/disclosure.md`` gives the argument, and ``tests/db/test_disclosure_attacks.py`` the
  attacks).
- Shares are worked out from the published counts, never from exact ones.

What it does not protect against alone is someone comparing the *same* figures before and
after one child answers (a cell's key changes only if the child joined it). The dashboards
close that door by publishing a period once, after it has ended, and never changing it
(``measures.py``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

#: Published counts are multiples of this.
BASE = 5
#: Record keys run from 0 to KEYS - 1; cell keys are sums modulo KEYS.
KEYS = 256


def cell_key(key_sum: int) -> int:
    """The cell key of a cell whose children's record keys add up to ``key_sum``."""
    return key_sum % KEYS


def _draw(key_sum: int) -> float:
    # The cell key as a number from 0 to 1, each of the 256 values equally likely.
    return (cell_key(key_sum) + 0.5) / KEYS


def round_total(count: int, key_sum: int) -> int:
    """``count`` rounded to a multiple of :data:`BASE`, up with probability (remainder / 5),
    the cell key deciding: the average of many published counts is the average of the real
    ones, and no published count says which way it went.

    Raises ``ValueError`` for a negative count.
    """
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    down, remainder = divmod(count, BASE)
    up = remainder and _draw(key_sum) < remainder / BASE
    return (down + bool(up)) * BASE


def round_parts(total: int, parts: Mapping[K, tuple[int, int]]) -> dict[K, int]:
    """Each part (count, key sum) rounded to a multiple of :data:`BASE`, up or down, so that
    the rounded parts add up to ``total``, the rounded count of all of them.

    How many parts go up follows from ``total``; which ones is decided by their cell keys,
    each part's chance growing with its remainder (order sampling: the parts with the
    smallest draw divided by remainder go up), so the same parts always come out the same.

    Raises ``ValueError`` if a count is negative or ``total`` is not a rounding of the
    parts' sum that they can add up to.
    """
    floors: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for part, (count, _key) in parts.items():
        if count < 0:
            raise ValueError(f"a count cannot be negative: {part!r} is {count}")
        floors[part], remainders[part] = divmod(count, BASE)
    exact = sum(count for count, _key in parts.values())
    ups, left = divmod(total - BASE * sum(floors.values()), BASE)
    candidates = [part for part, remainder in remainders.items() if remainder]
    if left or not 0 <= ups <= len(candidates) or abs(total - exact) >= BASE:
        raise ValueError(f"{total} is not a rounding of parts adding up to {exact}")
    # Ties (the same draw and remainder) by repr: the answer is the same on every run.
    order = sorted(candidates, key=lambda part: (
        _draw(parts[part][1]) / remainders[part], repr(part)))
    going_up = set(order[:ups])
    return {part: (floors[part] + (part in going_up)) * BASE for part in parts}


def percent(part: int, whole: int) -> int | None:
    """``part`` as a whole percentage of ``whole``, halves rounded up (as people round);
    ``None`` when ``whole`` is 0, since a share of nobody is no figure at all.

    Raises ``ValueError`` if either is negative or ``part`` is more than ``whole``.
    """
    if part < 0 or whole < 0 or part > whole:
        raise ValueError(f"not a part of a whole: {part} of {whole}")
    if whole == 0:
        return None
    return (200 * part + whole) // (2 * whole)
