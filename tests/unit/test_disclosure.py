"""Withholding small figures, and the figures that would give them away (no database needed).

The checks of safety here are written separately from the module's own: a withheld cell is
safe when another table, with every published figure and every relation the same, gives it
a different value (a vector of the null space that is not 0 on it), and when no published
figure minus others equals it exactly. Hidden cells (never published, not secret) are
unknowns there too, except those of 0: counts are never negative, so a 0 can be found
without subtracting (a total of 0 makes every part 0), and the checks count it as known.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from viewpoint.dashboards.disclosure import Relation, determined, rounded, share, withhold

REPO = Path(__file__).resolve().parents[2]
PROTECT = 10

Values = dict[Hashable, int]
Table = tuple[Values, list[Relation]]


# Tables

def two_way(rows: Sequence[Sequence[int]]) -> Table:
    """Cells ``(row, column)`` with row totals ``(row, None)``, column totals
    ``(None, column)`` and the grand total ``(None, None)``, added up every way."""
    width = len(rows[0])
    values: Values = {}
    for row, line in enumerate(rows):
        for column, count in enumerate(line):
            values[(row, column)] = count
        values[(row, None)] = sum(line)
    for column in range(width):
        values[(None, column)] = sum(line[column] for line in rows)
    values[(None, None)] = sum(map(sum, rows))
    relations = [Relation((row, None), tuple((row, column) for column in range(width)))
                 for row in range(len(rows))]
    relations += [Relation((None, column), tuple((row, column) for row in range(len(rows))))
                  for column in range(width)]
    relations += [Relation((None, None), tuple((row, None) for row in range(len(rows)))),
                  Relation((None, None), tuple((None, column) for column in range(width)))]
    return values, relations


KINDS = ("a", "b", "c", "d")
#: The dashboard's choices of plan kinds: each kind alone, a filter and everyone.
KIND_SETS = {"a": ("a",), "b": ("b",), "c": ("c",), "d": ("d",), "cd": ("c", "d"),
             "all": KINDS}
#: As the dashboards have them now: two filters, and each kind's breakdown never published.
FILTERS = {**KIND_SETS, "ab": ("a", "b")}


def hierarchy(children: Mapping[str, Mapping[tuple[str, ...], int]],
              dimensions: Mapping[str, Sequence[str]],
              kind_sets: Mapping[str, tuple[str, ...]] = KIND_SETS) -> Table:
    """The dashboard's shape: cells ``(kinds, dimension, value)`` and ``(kinds, None, None)``.

    ``children`` counts, for each plan kind, the children with each combination of values
    (one value per dimension, in order). Every set's total is the sum of its kinds' totals
    and the sum over each dimension; every breakdown cell of a set is the sum of its kinds'.
    """
    values: Values = {}
    for name in kind_sets:
        values[(name, None, None)] = 0
        for dimension, options in dimensions.items():
            for option in options:
                values[(name, dimension, option)] = 0
    for kind, counts in children.items():
        for combination, count in counts.items():
            for name, kinds in kind_sets.items():
                if kind in kinds:
                    values[(name, None, None)] += count
                    for dimension, option in zip(dimensions, combination, strict=True):
                        values[(name, dimension, option)] += count
    relations = []
    for name, kinds in kind_sets.items():
        if len(kinds) > 1:
            relations.append(Relation((name, None, None), tuple((k, None, None) for k in kinds)))
            for dimension, options in dimensions.items():
                relations += [Relation((name, dimension, option),
                                       tuple((kind, dimension, option) for kind in kinds))
                              for option in options]
        for dimension, options in dimensions.items():
            relations.append(Relation((name, None, None),
                                      tuple((name, dimension, option) for option in options)))
    return values, relations


def small(values: Mapping[Hashable, int]) -> list[Hashable]:
    return [cell for cell, value in values.items() if 0 < value < PROTECT]


def kinds_by_value(c: Sequence[int], d: Sequence[int]) -> tuple[Values, list[Relation],
                                                               set[Hashable]]:
    """Kinds ``c`` and ``d`` broken down by one dimension, value by value. Published: each
    kind's total ``(kind, None)``, and "c and d" for each value ``("cd", value)`` and in all.
    The kinds' own cells ``(kind, value)``, returned as the third item, never are."""
    values: Values = {}
    for kind, line in (("c", c), ("d", d)):
        values[(kind, None)] = sum(line)
        values.update(((kind, value), count) for value, count in enumerate(line))
    values.update((("cd", value), c[value] + d[value]) for value in range(len(c)))
    values[("cd", None)] = sum(c) + sum(d)
    relations = [Relation((kind, None), tuple((kind, value) for value in range(len(c))))
                 for kind in ("c", "d")]
    relations += [Relation(("cd", value), (("c", value), ("d", value)))
                  for value in range(len(c))]
    relations += [Relation(("cd", None), tuple(("cd", value) for value in range(len(c)))),
                  Relation(("cd", None), (("c", None), ("d", None)))]
    return values, relations, {(kind, value) for kind in ("c", "d") for value in range(len(c))}


# Independent checks

def coefficient(relation: Relation, cell: Hashable) -> int:
    if cell == relation.total:
        return 1
    return -1 if cell in relation.parts else 0


def null_space(matrix: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of the vectors ``x`` with ``matrix @ x == 0`` (dense Gauss-Jordan)."""
    rows = [list(row) for row in matrix]
    pivots: list[int] = []
    for column in range(width):
        top = len(pivots)
        found = next((i for i in range(top, len(rows)) if rows[i][column]), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        lead = rows[top][column]
        rows[top] = [entry / lead for entry in rows[top]]
        for i, row in enumerate(rows):
            if i != top and row[column]:
                factor = row[column]
                rows[i] = [entry - factor * pivot if pivot else entry
                           for entry, pivot in zip(row, rows[top], strict=True)]
        pivots.append(column)
    basis = []
    for free in (column for column in range(width) if column not in pivots):
        vector = [Fraction(0)] * width
        vector[free] = Fraction(1)
        for row, column in enumerate(pivots):
            vector[column] = -rows[row][free]
        basis.append(vector)
    return basis


def free_to_vary(relations: Sequence[Relation], withheld: Iterable[Hashable]) -> set[Hashable]:
    """The withheld cells some other table with the same published figures changes: those on
    which a vector of the null space of the relations (over the withheld cells) is not 0."""
    unknowns = sorted(withheld, key=repr)
    matrix = [[coefficient(relation, cell) for cell in unknowns] for relation in relations]
    matrix = [row for row in matrix if any(row)]
    basis = null_space([[Fraction(entry) for entry in row] for row in matrix], len(unknowns))
    for vector in basis:  # each really is another table with the same published figures
        assert all(sum(a * x for a, x in zip(row, vector, strict=True) if a) == 0
                   for row in matrix)
    return {cell for place, cell in enumerate(unknowns) if any(v[place] for v in basis)}


def unknown(values: Mapping[Hashable, int], withheld: Iterable[Hashable],
            hidden: Iterable[Hashable]) -> set[Hashable]:
    """What nobody can read: the withheld cells, and the hidden ones that are not 0."""
    return {*withheld, *(cell for cell in hidden if values[cell])}


def subtractions(values: Mapping[Hashable, int], relations: Sequence[Relation],
                 withheld: frozenset[Hashable],
                 hidden: frozenset[Hashable] = frozenset()) -> list[str]:
    """Single withheld cells equal to a published total minus its published parts, or to one
    published total minus another whose parts it contains, minus the published rest."""
    found: list[str] = []
    unread = unknown(values, withheld, hidden)
    parts = [set(relation.parts) for relation in relations]
    for outer, outer_parts in zip(relations, parts, strict=True):
        if outer.total in unread:
            continue
        inner_choices: list[tuple[Relation | None, set[Hashable]]] = [(None, set())]
        inner_choices += [(inner, inner_parts)
                          for inner, inner_parts in zip(relations, parts, strict=True)
                          if inner_parts < outer_parts and inner.total not in unread]
        for inner, inner_parts in inner_choices:
            rest = outer_parts - inner_parts
            figure = values[outer.total] - (values[inner.total] if inner else 0)
            figure -= sum(values[cell] for cell in rest if cell not in unread)
            how = f"{outer.total!r} - {inner.total!r}" if inner else f"{outer.total!r}"
            found += [f"{how} gives away {cell!r}" for cell in rest & withheld
                      if values[cell] == figure]
    return found


def relation_rules_broken(values: Mapping[Hashable, int], relations: Sequence[Relation],
                          withheld: frozenset[Hashable], protect: int,
                          hidden: frozenset[Hashable] = frozenset()) -> list[Relation]:
    """Relations with a published total whose unpublished parts with children in them hold
    a withheld one but are one alone or fewer than ``protect`` children."""
    broken = []
    for relation in relations:
        if relation.total in withheld or relation.total in hidden:
            continue
        unread = [part for part in relation.parts
                  if values[part] and (part in withheld or part in hidden)]
        if not any(part in withheld for part in unread):
            continue
        if len(unread) < 2 or sum(values[part] for part in unread) < protect:
            broken.append(relation)
    return broken


def problems(values: Mapping[Hashable, int], relations: Sequence[Relation],
             primary: Iterable[Hashable], protect: int, withheld: frozenset[Hashable],
             hidden: frozenset[Hashable] = frozenset()) -> list[str]:
    """Everything wrong with ``withheld`` as an answer; empty when it is safe."""
    found = [f"{cell!r} is small and shown" for cell in primary
             if values[cell] and cell not in withheld]
    found += [f"{cell!r} is 0 and withheld" for cell in withheld if not values[cell]]
    found += [f"{cell!r} is hidden and withheld" for cell in withheld & hidden]
    found += [f"{relation} shows a single withheld part or too few children"
              for relation in relation_rules_broken(values, relations, withheld, protect,
                                                    hidden)]
    free = free_to_vary(relations, unknown(values, withheld, hidden))
    found += [f"{cell!r} can be worked out" for cell in sorted(withheld - free, key=repr)]
    found += subtractions(values, relations, withheld, hidden)
    return found


def relation_rules_only(values: Mapping[Hashable, int], relations: Sequence[Relation],
                        primary: Iterable[Hashable], protect: int) -> frozenset[Hashable]:
    """What looking at one relation at a time withholds: the rule dashboards often stop at."""
    withheld = {cell for cell in primary if values[cell]}
    while broken := relation_rules_broken(values, relations, frozenset(withheld), protect):
        relation = broken[0]
        shown = [p for p in relation.parts if p not in withheld and values[p]]
        withheld.add(min(shown, key=lambda p: (values[p], repr(p))) if shown else relation.total)
    return frozenset(withheld)


# One relation at a time

def test_a_small_cell_with_nothing_adding_up_to_it_is_simply_withheld() -> None:
    assert withhold({"alone": 3, "other": 4}, [], primary=["alone"], protect=PROTECT) == {"alone"}


def test_nothing_small_means_nothing_withheld() -> None:
    values = {"total": 60, "x": 20, "y": 40}
    assert withhold(values, [Relation("total", ("x", "y"))], primary=[], protect=PROTECT) == set()


def test_a_single_small_cell_is_protected_by_a_second() -> None:
    values = {"total": 50, "small": 3, "middle": 20, "large": 27}
    relations = [Relation("total", ("small", "middle", "large"))]
    assert withhold(values, relations, primary=["small"], protect=PROTECT) == {"small", "middle"}


def test_zero_cells_are_shown_and_never_used_as_cover() -> None:
    values = {"total": 45, "small": 3, "none": 0, "none too": 0, "cover": 12, "large": 30}
    relations = [Relation("total", ("small", "none", "none too", "cover", "large"))]
    withheld = withhold(values, relations, primary=["small", "none"], protect=PROTECT)
    assert withheld == {"small", "cover"}


def test_two_small_cells_adding_up_to_fewer_than_protect_need_a_third() -> None:
    values = {"total": 40, "two": 2, "three": 3, "fifteen": 15, "twenty": 20}
    relations = [Relation("total", ("two", "three", "fifteen", "twenty"))]
    withheld = withhold(values, relations, primary=["two", "three"], protect=PROTECT)
    assert withheld == {"two", "three", "fifteen"}


def test_the_total_is_withheld_when_nothing_is_left_to_pair_with() -> None:
    values = {"total": 5, "small": 5, "none": 0}
    relations = [Relation("total", ("small", "none"))]
    assert withhold(values, relations, primary=["small"], protect=PROTECT) == {"small", "total"}


def test_the_total_is_withheld_when_all_its_parts_together_are_too_few() -> None:
    values = {"total": 7, "three": 3, "four": 4}
    relations = [Relation("total", ("three", "four"))]
    withheld = withhold(values, relations, primary=["three"], protect=PROTECT)
    assert withheld == {"three", "four", "total"}


def test_a_withheld_subtotal_is_protected_in_the_total_above_it() -> None:
    values = {"everyone": 60, "group": 7, "rest": 53, "three": 3, "four": 4}
    relations = [Relation("group", ("three", "four")), Relation("everyone", ("group", "rest"))]
    withheld = withhold(values, relations, primary=["three"], protect=PROTECT)
    # With "group" hidden alone, everyone minus rest would show it; hidden beside "rest",
    # "everyone" can stay.
    assert withheld == {"three", "four", "group", "rest"}


def test_a_small_total_whose_parts_are_all_shown_gets_a_part_withheld_too() -> None:
    values = {"total": 8, "none": 0, "eight": 8, "also none": 0}
    relations = [Relation("total", ("none", "eight", "also none"))]
    assert withhold(values, relations, primary=["total"], protect=PROTECT) == {"total", "eight"}


def test_a_cell_of_zero_is_never_withheld_even_when_called_small() -> None:
    values = {"total": 0, "none": 0, "also none": 0}
    relations = [Relation("total", ("none", "also none"))]
    assert withhold(values, relations, primary=["none", "total"], protect=PROTECT) == set()


def test_ties_are_broken_by_the_name_of_the_cell_not_by_the_order_given() -> None:
    names = ["kin", "foster", "home", "residential"]
    values = {"small": 4, **dict.fromkeys(names, 20), "total": 84}
    answers = {withhold(dict(reversed(values.items())),
                        [Relation("total", ("small", *order))], primary=["small"], protect=PROTECT)
               for order in (names, sorted(names), sorted(names, reverse=True))}
    assert answers == {frozenset({"small", "foster"})}


@pytest.mark.slow
def test_the_answer_is_the_same_in_every_run_of_python() -> None:
    # Sets of strings are ordered differently from one run to the next; the answer must not
    # depend on that order.
    script = (
        "import json, random, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.unit.test_disclosure import hierarchy, random_children, small, PROTECT\n"
        "from tests.unit.test_disclosure import random_table_with_hidden\n"
        "from viewpoint.dashboards.disclosure import withhold\n"
        "rng = random.Random(7)\n"
        "dimensions = {'gender': ('girl', 'boy', 'other', 'unknown'),\n"
        "              'placement': ('foster', 'kin', 'home', 'residential', 'none')}\n"
        "answers = []\n"
        "for _ in range(10):\n"
        "    values, relations = hierarchy(random_children(rng, dimensions), dimensions)\n"
        "    found = withhold(values, relations, primary=small(values), protect=PROTECT)\n"
        "    answers.append(sorted(map(repr, found)))\n"
        "for _ in range(10):\n"
        "    values, relations, hidden = random_table_with_hidden(rng)\n"
        "    found = withhold(values, relations, primary=small(values), protect=PROTECT,\n"
        "                     hidden=hidden)\n"
        "    answers.append(sorted(map(repr, found)))\n"
        "print(json.dumps(answers))\n")
    outputs = set()
    for seed in ("1", "2", "3"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script, str(REPO)], env=environment,
                                capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == 20


# Working figures out through several relations

def test_one_kind_of_plan_is_given_away_by_all_plans_minus_a_filter() -> None:
    values = {"all": 80, "cd": 36, "a": 40, "b": 4, "c": 6, "d": 30}
    relations = [Relation("all", ("a", "b", "c", "d")), Relation("cd", ("c", "d"))]
    # Each relation alone is fine: three hidden in "all", two in "cd"...
    assert relation_rules_only(values, relations, ["b"], PROTECT) == {"b", "c", "d"}
    # ...yet b = all - cd - a.
    assert determined(values, relations, {"b", "c", "d"}) == {"b"}
    withheld = withhold(values, relations, primary=["b"], protect=PROTECT)
    assert withheld == {"a", "b", "c", "d"}
    assert problems(values, relations, ["b"], PROTECT, withheld) == []


def test_a_hidden_total_with_every_part_shown_is_determined() -> None:
    values = {"total": 30, "x": 10, "y": 20}
    assert determined(values, [Relation("total", ("x", "y"))], {"total"}) == {"total"}
    assert determined(values, [Relation("total", ("x", "y"))], {"total", "x"}) == set()


def test_a_determined_cell_among_withheld_neighbours_is_covered_further_along() -> None:
    values = {"t": 10, "x": 4, "y": 6, "p": 3, "q": 7, "u": 6, "none": 0}
    relations = [Relation("t", ("x", "y")), Relation("t", ("p", "q")),
                 Relation("y", ("u", "none"))]
    primary = ["x", "y", "t"]
    # t = p + q and y = u, so x = t - y too; x's only relation holds nothing published.
    assert determined(values, relations, primary) == {"t", "x", "y"}
    withheld = withhold(values, relations, primary=primary, protect=PROTECT)
    assert withheld == {"t", "x", "y", "p", "u"}
    assert problems(values, relations, primary, PROTECT, withheld) == []


def test_nothing_withheld_means_nothing_determined() -> None:
    values, relations = two_way([[3, 4], [5, 6]])
    assert determined(values, relations, set()) == set()


# A table with row and column totals (the bridge)

BRIDGED = [
    [5, 6, 30, 25, 40],
    [7, 8, 9, 12, 35],
    [22, 28, 6, 5, 31],
    [26, 33, 7, 8, 27],
    [38, 21, 24, 29, 45],
]


def test_a_cell_joining_two_groups_of_withheld_cells_in_a_table_is_given_away() -> None:
    values, relations = two_way(BRIDGED)
    primary = small(values)
    # Two rectangles of small cells, top left and middle, joined by (1, 2): every row and
    # column has two or more withheld cells making at least 10, so the relation rules pass.
    assert set(primary) == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2),
                            (3, 3)}
    assert relation_rules_broken(values, relations, frozenset(primary), PROTECT) == []
    # Rows 0 and 1 minus columns 0 and 1 leave exactly (1, 2).
    assert determined(values, relations, primary) == {(1, 2)}
    assert (1, 2) not in free_to_vary(relations, primary)
    assert subtractions(values, relations, frozenset(primary)) == []  # too subtle for those


def test_the_exact_check_withholds_one_more_cell_to_close_the_loop() -> None:
    values, relations = two_way(BRIDGED)
    primary = small(values)
    withheld = withhold(values, relations, primary=primary, protect=PROTECT)
    # (1, 3), the smallest figure sharing a row or column with (1, 2), makes a cycle of
    # (1, 2), (2, 2), (2, 3), (1, 3) in which each could be more or less.
    assert withheld == {*primary, (1, 3)}
    assert problems(values, relations, primary, PROTECT, withheld) == []


def test_a_two_by_two_table_of_small_counts_is_withheld_with_its_totals() -> None:
    values, relations = two_way([[3, 4], [2, 1]])
    primary = small(values)
    withheld = withhold(values, relations, primary=primary, protect=PROTECT)
    # The grand total of 10 may show: it rests on two withheld rows, and two columns.
    assert withheld == set(values) - {(None, None)}
    assert problems(values, relations, primary, PROTECT, withheld) == []


# The dashboard's shape

DIMENSIONS = {"gender": ("girl", "boy", "other", "unknown"),
              "placement": ("foster", "kin", "home", "none")}
CHILDREN = {
    "a": {("girl", "none"): 40, ("boy", "none"): 35, ("other", "none"): 3},
    "b": {("girl", "home"): 12, ("boy", "home"): 14, ("girl", "none"): 6},
    "c": {("girl", "foster"): 20, ("boy", "foster"): 25, ("boy", "kin"): 4,
          ("unknown", "foster"): 2},
    "d": {("girl", "kin"): 11, ("boy", "kin"): 13, ("other", "kin"): 2},
}


def test_the_dashboard_shape_adds_up_as_described() -> None:
    values, relations = hierarchy(CHILDREN, DIMENSIONS)
    assert len(values) == 6 * (1 + 4 + 4)
    assert values[("all", None, None)] == 187
    assert values[("cd", "placement", "kin")] == 4 + 11 + 13 + 2
    assert values[("b", "gender", "girl")] == 18
    assert len(relations) == 2 + 2 * 8 + 6 * 2


def test_one_relation_at_a_time_leaves_the_dashboard_open_to_subtraction() -> None:
    values, relations = hierarchy(CHILDREN, DIMENSIONS)
    primary = small(values)
    naive = relation_rules_only(values, relations, primary, PROTECT)
    exposed = determined(values, relations, naive)
    assert exposed
    assert exposed == naive - free_to_vary(relations, naive)
    # Some by plain subtraction: all plans minus the filter minus b, c and d is a.
    assert "('all', None, None) - ('cd', None, None) gives away ('a', None, None)" in \
        subtractions(values, relations, naive)


def test_the_dashboard_shape_withholds_enough_and_no_zero() -> None:
    values, relations = hierarchy(CHILDREN, DIMENSIONS)
    primary = small(values)
    withheld = withhold(values, relations, primary=primary, protect=PROTECT)
    assert problems(values, relations, primary, PROTECT, withheld) == []
    assert ("a", "gender", "other") in withheld  # 3 children
    assert ("b", "placement", "home") in withheld  # b's placements: home 26, none 6
    assert ("all", None, None) not in withheld  # the headline figure stays


# Cells never published that are not secret either ("hidden")

def test_a_hidden_cell_equal_to_a_published_one_does_not_force_suppression() -> None:
    values = {"total": 50, "kind": 50, "none": 0, "none too": 0}
    relations = [Relation("total", ("kind", "none", "none too"))]
    hidden = {"kind", "none", "none too"}
    # "kind" is 50 children, not secret: that it is the total minus two 0s harms nobody.
    assert withhold(values, relations, primary=[], protect=PROTECT, hidden=hidden) == set()
    # Were it secret, the total would have to go.
    assert withhold(values, relations, primary=["kind"], protect=PROTECT) == {"kind", "total"}


def test_hidden_cells_are_never_in_the_answer_even_when_small_cells_lean_on_them() -> None:
    values = {"total": 40, "small": 3, "hidden": 17, "shown": 20}
    relations = [Relation("total", ("small", "hidden", "shown"))]
    # 3 and 17 unpublished: two parts, 20 children, nothing more to withhold.
    withheld = withhold(values, relations, primary=["small"], protect=PROTECT,
                        hidden=["hidden"])
    assert withheld == {"small"}
    assert problems(values, relations, ["small"], PROTECT, withheld,
                    frozenset({"hidden"})) == []


def test_a_small_kind_cell_is_covered_for_free_by_its_hidden_neighbours() -> None:
    values, relations, breakdown = kinds_by_value([3, 15, 22, 30], [20, 12, 18, 25])
    secret = ("c", 0)
    hidden = frozenset(breakdown - {secret})
    withheld = withhold(values, relations, primary=[secret], protect=PROTECT, hidden=hidden)
    # Every row and column of the kinds' table is unpublished: 3 could be 4, with 15 one
    # fewer, 20 one fewer and 12 one more, and every published figure the same.
    assert withheld == {secret}
    assert determined(values, relations, withheld, hidden) == set()
    assert problems(values, relations, [secret], PROTECT, withheld, hidden) == []
    # With the kinds' breakdowns published, c's total minus the rest of its row would tell.
    assert determined(values, relations, [secret]) == {secret}


def test_a_small_kind_cell_beside_a_zero_makes_a_published_figure_go() -> None:
    # d has nobody with the first value: "c and d" there is c's cell, given away.
    values, relations, breakdown = kinds_by_value([3, 15, 22, 30], [0, 12, 18, 25])
    secret = ("c", 0)
    hidden = frozenset(breakdown - {secret})
    assert determined(values, relations, [secret], hidden) == {secret}
    withheld = withhold(values, relations, primary=[secret], protect=PROTECT, hidden=hidden)
    # Its column's published figure goes, then the smallest beside that in "c and d" (27).
    assert withheld == {secret, ("cd", 0), ("cd", 1)}
    assert problems(values, relations, [secret], PROTECT, withheld, hidden) == []


def test_a_hidden_cell_that_can_be_worked_out_gives_away_the_small_cell_beside_it() -> None:
    values = {"total": 15, "small": 3, "kind": 12, "other": 32, "shown": 20}
    relations = [Relation("total", ("small", "kind")), Relation("other", ("kind", "shown"))]
    # One relation at a time all is well: 3 and 12 unpublished together, "kind" alone but
    # not secret. Yet kind = other - shown = 12, and small = total - kind.
    assert relation_rules_broken(values, relations, frozenset({"small"}), PROTECT,
                                 frozenset({"kind"})) == []
    assert determined(values, relations, ["small"], ["kind"]) == {"small"}
    withheld = withhold(values, relations, primary=["small"], protect=PROTECT, hidden=["kind"])
    assert withheld == {"small", "total"}
    assert problems(values, relations, ["small"], PROTECT, withheld,
                    frozenset({"kind"})) == []


def test_a_hidden_zero_counts_as_known_because_counts_are_never_negative() -> None:
    values = {"total": 15, "small": 3, "kind": 12, "other": 12, "none": 0, "nobody": 0,
              "none too": 0}
    relations = [Relation("total", ("small", "kind")), Relation("other", ("kind", "none")),
                 Relation("nobody", ("none", "none too"))]
    hidden = frozenset({"kind", "none", "none too"})
    # As equations alone, "none" could be 1 and "none too" -1, and "small" 4. But no count
    # is below 0, so both are 0, "kind" is 12 and "small" is 15 - 12.
    assert "small" in free_to_vary(relations, {"small", *hidden})
    assert determined(values, relations, ["small"], hidden) == {"small"}
    withheld = withhold(values, relations, primary=["small"], protect=PROTECT, hidden=hidden)
    assert withheld == {"small", "total"}
    assert problems(values, relations, ["small"], PROTECT, withheld, hidden) == []


def test_a_hidden_total_hides_its_parts_as_a_withheld_one_would() -> None:
    values = {"kind": 12, "small": 3, "shown": 9}
    relations = [Relation("kind", ("small", "shown"))]
    assert withhold(values, relations, primary=["small"], protect=PROTECT,
                    hidden=["kind"]) == {"small"}
    # Published, 12 would need a second part withheld beside 3.
    assert withhold(values, relations, primary=["small"], protect=PROTECT) == {"small", "shown"}


def test_the_dashboard_shape_with_each_kinds_breakdown_hidden() -> None:
    values, relations = hierarchy(CHILDREN, DIMENSIONS)
    primary = small(values)
    hidden = frozenset(cell for cell in values
                       if cell[0] in KINDS and cell[1] is not None and cell not in primary)
    withheld = withhold(values, relations, primary=primary, protect=PROTECT, hidden=hidden)
    assert problems(values, relations, primary, PROTECT, withheld, hidden) == []
    assert ("a", "gender", "other") in withheld  # 3 children, secret though never shown
    assert not withheld & hidden
    assert ("all", None, None) not in withheld


# Many tables

def random_children(rng: random.Random,
                    dimensions: Mapping[str, Sequence[str]]) -> dict[str, dict[tuple, int]]:
    """Children of each plan kind, few or many, some values of each breakdown rare."""
    children: dict[str, dict[tuple, int]] = {}
    for kind in KINDS:
        weights = {name: [rng.random() ** 3 + 0.01 for _ in options]
                   for name, options in dimensions.items()}
        counts: dict[tuple, int] = {}
        for _ in range(rng.choice([0, 2, 6, 15, 40, 90, 200])):
            child = tuple(rng.choices(options, weights[name])[0]
                          for name, options in dimensions.items())
            counts[child] = counts.get(child, 0) + 1
        children[kind] = counts
    return children


def random_two_way(rng: random.Random) -> Table:
    width, height = rng.randint(3, 7), rng.randint(3, 7)
    return two_way([[rng.choice([0, rng.randint(1, 9), rng.randint(10, 60)])
                     for _ in range(width)] for _ in range(height)])


def random_dimensions(rng: random.Random) -> dict[str, tuple[str, ...]]:
    return {name: tuple(f"{name}{i}" for i in range(rng.randint(4, 8))) for name in ("x", "y")}


def random_table(rng: random.Random) -> Table:
    if rng.random() < 0.3:
        return random_two_way(rng)
    dimensions = random_dimensions(rng)
    return hierarchy(random_children(rng, dimensions), dimensions)


def random_table_with_hidden(rng: random.Random) -> tuple[Values, list[Relation],
                                                         frozenset[Hashable]]:
    """A table with hidden cells: some cells of a two-way table that are not small (totals
    too), or, as on the dashboards, every kind's breakdown but its small cells."""
    if rng.random() < 0.3:
        values, relations = random_two_way(rng)
        hidden = frozenset(cell for cell, value in values.items()
                           if not 0 < value < PROTECT and rng.random() < 0.4)
        return values, relations, hidden
    dimensions = random_dimensions(rng)
    values, relations = hierarchy(random_children(rng, dimensions), dimensions,
                                  rng.choice([KIND_SETS, FILTERS]))
    hidden = frozenset(cell for cell, value in values.items()
                       if cell[0] in KINDS and cell[1] is not None and not 0 < value < PROTECT)
    return values, relations, hidden


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_no_withheld_figure_can_be_worked_out_in_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        values, relations = random_table(rng)
        primary = small(values)
        protect = rng.choice([PROTECT, 5, 20])
        withheld = withhold(values, relations, primary=primary, protect=protect)
        assert problems(values, relations, primary, protect, withheld) == []
        assert determined(values, relations, withheld) == set()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_no_secret_figure_can_be_worked_out_in_random_tables_with_hidden_cells(
        seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(40):
        values, relations, hidden = random_table_with_hidden(rng)
        primary = small(values)
        protect = rng.choice([PROTECT, 5, 20])
        withheld = withhold(values, relations, primary=primary, protect=protect, hidden=hidden)
        assert problems(values, relations, primary, protect, withheld, hidden) == []
        assert determined(values, relations, withheld, hidden) == set()
        # Implied by the above (fewer unknowns), but as plainly as it can be said: with every
        # unpublished cell unknown, each withheld one can still be more or less.
        assert withheld <= free_to_vary(relations, withheld | hidden)


# Mistakes in what is asked

@pytest.mark.parametrize(("values", "relations", "primary"), [
    ({"total": 3, "x": -1, "y": 4}, [Relation("total", ("x", "y"))], ["x"]),
    ({"total": 7, "x": 3}, [Relation("total", ("x", "y"))], ["x"]),
    ({"total": 7, "x": 3, "y": 4}, [Relation("sum", ("x", "y"))], ["x"]),
    ({"total": 7, "x": 3, "y": 4}, [Relation("total", ("x", "y"))], ["z"]),
    ({"total": 8, "x": 3, "y": 4}, [Relation("total", ("x", "y"))], ["x"]),
], ids=["negative", "unknown-part", "unknown-total", "unknown-primary", "not-adding-up"])
def test_impossible_figures_are_refused(values: Values, relations: list[Relation],
                                        primary: list[str]) -> None:
    with pytest.raises(ValueError, match=r"negative|no value|add up"):
        withhold(values, relations, primary=primary, protect=PROTECT)


def test_determined_refuses_the_same_mistakes_and_an_unknown_withheld_cell() -> None:
    with pytest.raises(ValueError, match="negative"):
        determined({"x": -2}, [], ["x"])
    with pytest.raises(ValueError, match="add up"):
        determined({"total": 1, "x": 3}, [Relation("total", ("x",))], ["x"])
    with pytest.raises(ValueError, match="no value"):
        determined({"x": 2}, [], ["y"])


def test_a_cell_cannot_be_both_secret_and_hidden() -> None:
    values = {"total": 7, "x": 3, "y": 4}
    relations = [Relation("total", ("x", "y"))]
    with pytest.raises(ValueError, match="both primary and hidden"):
        withhold(values, relations, primary=["x"], protect=PROTECT, hidden=["x", "y"])
    with pytest.raises(ValueError, match="both withheld and hidden"):
        determined(values, relations, ["x"], hidden=["x"])
    with pytest.raises(ValueError, match="hidden names a cell that has no value"):
        withhold(values, relations, primary=["x"], protect=PROTECT, hidden=["z"])


def test_a_negative_protect_is_refused() -> None:
    with pytest.raises(ValueError, match="protect"):
        withhold({"x": 2}, [], primary=["x"], protect=-1)


def test_a_relation_must_be_of_separate_groups() -> None:
    with pytest.raises(ValueError, match="twice"):
        Relation("total", ("x", "x"))
    with pytest.raises(ValueError, match="own parts"):
        Relation("total", ("total", "x"))
    assert Relation("total", ["x", "y"]).parts == ("x", "y")  # type: ignore[arg-type]


# Rounding and shares

@pytest.mark.parametrize(("count", "expected"), [
    (0, 0), (2, 0), (3, 5), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (1002, 1000),
])
def test_counts_round_to_the_nearest_five_halves_up(count: int, expected: int) -> None:
    assert rounded(count) == expected


def test_rounding_to_other_bases_rounds_halves_up() -> None:
    assert [rounded(count, 10) for count in (14, 15, 16, 25)] == [10, 20, 20, 30]
    assert [rounded(count, 1) for count in (0, 7)] == [0, 7]


@pytest.mark.parametrize(("count", "base"), [(-1, 5), (3, 0)])
def test_rounding_refuses_a_negative_count_or_a_base_below_one(count: int, base: int) -> None:
    with pytest.raises(ValueError):
        rounded(count, base)


def test_a_share_is_a_percentage_and_of_nobody_is_no_figure() -> None:
    assert share(1, 4) == 25.0
    assert share(0, 12) == 0.0
    assert share(12, 12) == 100.0
    assert share(1, 3) == pytest.approx(33.333, abs=0.001)
    assert share(0, 0) is None


@pytest.mark.parametrize(("part", "whole"), [(-1, 4), (1, -4), (5, 4)])
def test_a_share_refuses_impossible_counts(part: int, whole: int) -> None:
    with pytest.raises(ValueError):
        share(part, whole)
