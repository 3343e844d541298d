"""Disclosure control: which figures a dashboard must withhold so that no child can be
recognised, directly or by subtracting one published figure from another.

Official statistics about children in England (the Department for Education's releases on
children looked after and children in need, for example) have long replaced counts of 1 to
5 by a symbol, and then withheld further cells, *secondary suppression*, because a hidden
figure that can be worked back from the published ones is not hidden at all: if a total of
40 is split into three figures and only one is hidden, 40 minus the other two gives it away.
The same holds for figures further apart: "all plans" minus "child in care plans" minus one
published kind of plan can leave a single hidden kind exposed.

:func:`withhold` is a general engine for that. It knows nothing about dashboards: it takes
the figures to be published, keyed by anything hashable, the ways they add up
(:class:`Relation`), the cells too small to show, and returns every cell to withhold. No
withheld figure can then be worked out from the published ones by any combination of
additions and subtractions along the relations, which :func:`determined` checks exactly.
Figures that are never published at all but link published ones (a breakdown offered only
for groups of plan kinds still adds up from each kind's) are passed as ``hidden``: unknown
to anyone, so they can hide other figures, but not secret in themselves.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import gcd
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Relation:
    """``total`` is exactly the sum of ``parts`` (disjoint groups of children).

    Every way the published figures add up must be given as a relation, or the checks
    cannot see the subtraction it allows. Raises ``ValueError`` if a part is named twice
    or the total is one of its own parts (neither describes disjoint groups).
    """

    total: Hashable
    parts: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        # Accept any sequence but keep the relation hashable.
        object.__setattr__(self, "parts", tuple(self.parts))
        if len(set(self.parts)) != len(self.parts):
            raise ValueError(f"a relation names a part twice: {self.parts!r}")
        if self.total in self.parts:
            raise ValueError(f"a relation's total is one of its own parts: {self.total!r}")


def withhold(values: Mapping[K, int], relations: Sequence[Relation], *, primary: Iterable[K],
             protect: int, hidden: Iterable[K] = ()) -> frozenset[K]:
    """The cells to withhold so that none of ``primary`` can be seen or worked out.

    ``values`` holds each cell's exact count of children; ``primary`` are the cells too small
    to publish (the caller decides what is small). ``hidden`` are cells that are never
    published but are no secret either, such as a breakdown the dashboard does not offer
    (whose small cells the caller puts in ``primary`` instead): they tie published figures
    together, so they are unknowns in the equations and can hide other cells, but one of
    them being worked out gives nobody away, and they never need cover for their own sake.
    The answer, which never holds a hidden cell, satisfies:

    1. every primary cell with children in it is withheld. A cell of 0 is never withheld:
       "no children" says nothing about anyone, and a 0 cannot hide another cell (the
       difference it would hide is the other cell itself).
    2. for every relation whose total is published (neither withheld nor hidden), the parts
       with children in them that are not published (withheld or hidden) are none, or all
       hidden, or at least two holding at least ``protect`` children between them. One
       withheld part alone would be the total minus the published parts; two parts of 1 and
       2 would still be a figure resting on three children. To mend a relation the smallest
       published part with children in it is withheld (ties by ``repr`` of the key, so the
       answer is the same every time); when none is left, the total is.
    3. no withheld cell is :func:`determined` by the published ones through any
       combination of relations (which rule 2, looking at one relation at a time, can
       miss: in a table with row and column totals, a withheld cell joining two separate
       groups of withheld cells is given away by adding up rows and columns). Hidden cells
       with children in them are unknowns there like withheld ones, and may themselves be
       determined; a hidden 0 counts as known (see :func:`determined`). A determined cell
       gets company: the smallest published cell sharing a relation with it is withheld,
       and the rules are applied again until nothing changes.

    Raises ``ValueError`` if a count is negative, ``protect`` is negative, a relation,
    ``primary`` or ``hidden`` names a cell not in ``values``, a cell is both primary and
    hidden, or a relation's figures do not add up.
    """
    if protect < 0:
        raise ValueError(f"protect must not be negative, not {protect}")
    _check(values, relations)
    small = _cells(values, primary, "primary")
    unseen = _cells(values, hidden, "hidden")
    if both := small & unseen:
        raise ValueError(f"a cell cannot be both primary and hidden: {min(both, key=repr)!r}")
    touching = _relations_by_cell(relations)
    equations = _Equations(relations, touching)
    for cell in unseen:
        if values[cell] > 0:
            equations.add(cell)
    withheld: set[K] = set()
    for cell in small:
        if values[cell] > 0:
            withheld.add(cell)
            equations.add(cell)
    order = _smallest_first(values)
    pending: Iterable[int] = range(len(relations))
    while True:
        _pair(values, relations, touching, equations, withheld, unseen, protect, pending, order)
        exposed = [cell for cell in equations.determined() if cell in withheld]
        if not exposed:
            return frozenset(withheld)
        cover = _cover(min(exposed, key=order), values, relations, touching, equations.cells,
                       unseen, order)
        withheld.add(cover)
        equations.add(cover)
        pending = touching.get(cover, ())


def determined(values: Mapping[K, int], relations: Sequence[Relation], withheld: Iterable[K],
               hidden: Iterable[K] = ()) -> frozenset[K]:
    """The cells of ``withheld`` whose values follow from the published cells.

    Each relation is an equation, total minus parts equals 0, in which the withheld and
    hidden cells are the unknowns and the published ones known. A withheld cell is
    determined when some combination of these equations leaves that cell alone, that is,
    when its unit vector lies in the row space of the equations' coefficients over the
    unknowns. This is decided exactly, by elimination in whole numbers over the relations
    that mention an unknown (the others hold none and cannot combine into anything).

    A hidden cell of 0 counts as known. Counts are never negative, so a 0 can be found
    without subtracting anything (a total of 0 makes every part 0, and so does one total
    minus another equal to it), and the cell beside it is then given away. Knowing the 0s is
    all that never being negative tells: every other unknown in the real table is above 0,
    so the real table can move a little in any direction the equations leave free (with the
    0s fixed) and no count goes negative. A withheld cell found free here is free to someone
    who knows that, too, as long as it has children in it (:func:`withhold` never withholds
    a 0).

    Raises ``ValueError`` if a count is negative, a relation, ``withheld`` or ``hidden``
    names a cell not in ``values``, a cell is both withheld and hidden, or a relation's
    figures do not add up.
    """
    _check(values, relations)
    asked = _cells(values, withheld, "withheld")
    unseen = _cells(values, hidden, "hidden")
    if both := asked & unseen:
        raise ValueError(f"a cell cannot be both withheld and hidden: {min(both, key=repr)!r}")
    equations = _Equations(relations, _relations_by_cell(relations))
    for cell in unseen:
        if values[cell] > 0:
            equations.add(cell)
    for cell in asked:
        equations.add(cell)
    return frozenset(cell for cell in equations.determined() if cell in asked)


def rounded(count: int, base: int = 5) -> int:
    """``count`` to the nearest multiple of ``base``, halves up (12 -> 10, 13 -> 15).

    Shown counts are rounded so that a figure that moves by one child between two looks at
    the dashboard, or between two overlapping breakdowns, does not say which child it was.
    Raises ``ValueError`` for a negative count or a base below 1.
    """
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if base < 1:
        raise ValueError(f"base must be at least 1, not {base}")
    return (2 * count + base) // (2 * base) * base


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage (0 to 100) of ``whole``; ``None`` when ``whole`` is 0, since
    a share of nobody is not 0 per cent but no figure at all.

    Raises ``ValueError`` if either is negative or ``part`` is more than ``whole``.
    """
    if part < 0 or whole < 0:
        raise ValueError(f"counts cannot be negative: {part} of {whole}")
    if part > whole:
        raise ValueError(f"a part cannot be more than its whole: {part} of {whole}")
    if whole == 0:
        return None
    return 100 * part / whole


def _check(values: Mapping[K, int], relations: Sequence[Relation]) -> None:
    for cell, value in values.items():
        if value < 0:
            raise ValueError(f"a count cannot be negative: {cell!r} is {value}")
    for relation in relations:
        for cell in (relation.total, *relation.parts):
            if cell not in values:
                raise ValueError(f"a relation names a cell that has no value: {cell!r}")
        # Every guarantee rests on the relations being true; one that is not points to a
        # mistake in how the figures were counted.
        if values[relation.total] != sum(values[part] for part in relation.parts):
            raise ValueError(f"the parts of {relation.total!r} do not add up to it")


def _relations_by_cell(relations: Sequence[Relation]) -> dict[Hashable, list[int]]:
    touching: dict[Hashable, list[int]] = {}
    for index, relation in enumerate(relations):
        for cell in (relation.total, *relation.parts):
            touching.setdefault(cell, []).append(index)
    return touching


def _cells(values: Mapping[K, int], cells: Iterable[K], name: str) -> frozenset[K]:
    found = frozenset(cells)
    for cell in found:
        if cell not in values:
            raise ValueError(f"{name} names a cell that has no value: {cell!r}")
    return found


def _smallest_first(values: Mapping[K, int]) -> Callable[[K], tuple[int, str]]:
    # repr, not the key itself: keys of different types cannot be compared, and the order of
    # a set of strings changes from one run of Python to the next.
    def order(cell: K) -> tuple[int, str]:
        return values[cell], repr(cell)

    return order


def _pair(values: Mapping[K, int], relations: Sequence[Relation],
          touching: Mapping[Hashable, list[int]], equations: _Equations, withheld: set[K],
          hidden: frozenset[K], protect: int, pending: Iterable[int],
          order: Callable[[K], tuple[int, str]]) -> None:
    """Rule 2, applied until every relation with a published total keeps it."""
    queue = deque(pending)
    queued = set(queue)
    while queue:
        index = queue.popleft()
        queued.discard(index)
        relation = relations[index]
        if relation.total in withheld or relation.total in hidden:
            continue
        unseen = [part for part in relation.parts
                  if values[part] > 0 and (part in withheld or part in hidden)]
        if not any(part in withheld for part in unseen):
            continue
        if len(unseen) >= 2 and sum(values[part] for part in unseen) >= protect:
            continue
        shown = [part for part in relation.parts
                 if values[part] > 0 and part not in withheld and part not in hidden]
        cell = min(shown, key=order) if shown else relation.total
        withheld.add(cell)
        equations.add(cell)
        for other in touching[cell]:
            if other not in queued:
                queue.append(other)
                queued.add(other)


def _cover(exposed: K, values: Mapping[K, int], relations: Sequence[Relation],
           touching: Mapping[Hashable, list[int]], unknowns: set[Hashable],
           hidden: frozenset[K], order: Callable[[K], tuple[int, str]]) -> K:
    """The published cell to withhold next to a determined one.

    First choice is a cell sharing a relation with it. If every such cell is withheld,
    hidden or 0, the search widens through the unknowns it is linked to: the published
    figures that give it away must appear somewhere along those relations, and not all as 0,
    since equations whose known side is all 0 cannot pin a cell with children in it.
    """
    seen = {exposed}
    layer = [exposed]
    while layer:
        candidates: set[K] = set()
        linked: list[K] = []
        for cell in layer:
            for index in touching.get(cell, ()):
                relation = relations[index]
                for other in (relation.total, *relation.parts):
                    if other in unknowns:
                        if other not in seen:
                            seen.add(other)
                            linked.append(other)
                    elif values[other] > 0 and other not in hidden:
                        candidates.add(other)
        if candidates:
            return min(candidates, key=order)
        layer = linked
    raise AssertionError(f"{exposed!r} is determined but no published figure is linked to it")


class _Equations:
    """The unknown cells so far (withheld, or hidden with children in them), and the
    relations as equations in them, kept in reduced row echelon form as cells are added one
    at a time.

    Every row remembers the multiples of relations it was made from, so that a new
    unknown cell's coefficient in each row can be read off those few relations instead of
    eliminating everything again. Rows in which every unknown cell has cancelled are kept:
    if a new unknown cell appears in one, that row pins the cell down, and it becomes the
    cell's pivot row. In reduced form each pivot cell appears in its own row only, so a cell
    is determined exactly when its pivot row holds no other cell.
    """

    def __init__(self, relations: Sequence[Relation],
                 touching: Mapping[Hashable, list[int]]) -> None:
        self.cells: set[Hashable] = set()
        self._relations = relations
        self._touching = touching
        self._rows: list[dict[Hashable, int]] = []  # coefficients of unknown cells
        self._made_of: list[dict[int, int]] = []  # relation index -> multiple
        self._using: dict[int, set[int]] = {}  # relation index -> rows made with it
        self._cancelled: list[int] = []  # rows with no unknown cell left in them
        self._pivots: dict[Hashable, int] = {}  # cell -> its pivot row

    def add(self, cell: Hashable) -> None:
        if cell in self.cells:
            return
        self.cells.add(cell)
        coefficients: dict[int, int] = {}
        for index in self._touching.get(cell, ()):
            coefficients[index] = 1 if self._relations[index].total == cell else -1
            if index not in self._using:
                # Until now this relation held no unknown cell: a row of its own, empty.
                self._using[index] = {len(self._rows)}
                self._cancelled.append(len(self._rows))
                self._rows.append({})
                self._made_of.append({index: 1})
        column: dict[int, int] = {}
        for number in sorted({number for index in coefficients for number in self._using[index]}):
            made_of = self._made_of[number]
            entry = sum(made_of.get(index, 0) * value for index, value in coefficients.items())
            if entry:
                column[number] = entry
                self._rows[number][cell] = entry
        pivot = next((number for number in self._cancelled if number in column), None)
        if pivot is None:
            return
        self._cancelled.remove(pivot)
        self._pivots[cell] = pivot
        for number in column:
            if number != pivot:
                self._eliminate(number, pivot, cell)

    def determined(self) -> set[Hashable]:
        return {cell for cell, number in self._pivots.items() if len(self._rows[number]) == 1}

    def _eliminate(self, number: int, pivot: int, cell: Hashable) -> None:
        """Remove ``cell`` from row ``number`` with the pivot row, which holds ``cell`` only."""
        keep, take = self._rows[pivot][cell], self._rows[number].pop(cell)
        row = {other: keep * value for other, value in self._rows[number].items()}
        made_of = {index: keep * value for index, value in self._made_of[number].items()}
        for index, value in self._made_of[pivot].items():
            made_of[index] = made_of.get(index, 0) - take * value
        for index in [index for index, value in made_of.items() if not value]:
            del made_of[index]
            self._using[index].discard(number)
        for index in made_of:
            self._using[index].add(number)
        # Whole numbers, kept small.
        divisor = gcd(*row.values(), *made_of.values())
        if divisor > 1:
            row = {other: value // divisor for other, value in row.items()}
            made_of = {index: value // divisor for index, value in made_of.items()}
        self._rows[number], self._made_of[number] = row, made_of
