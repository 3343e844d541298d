"""The cell key rounding every published count goes through (``dashboards/disclosure.py``)."""

from __future__ import annotations

import random
from statistics import mean

import pytest

from viewpoint.published.disclosure import BASE, KEYS, cell_key, percent, round_parts, round_total


@pytest.mark.parametrize("count", range(0, 60))
def test_a_count_becomes_a_multiple_of_5_no_more_than_4_away(count: int) -> None:
    for key in range(KEYS):
        published = round_total(count, key)
        assert published % BASE == 0
        assert abs(published - count) <= BASE - 1


def test_0_stays_0_and_multiples_of_5_are_published_as_they_are() -> None:
    for key in range(KEYS):
        assert round_total(0, key) == 0
        assert round_total(35, key) == 35


@pytest.mark.parametrize("count", [1, 2, 3, 4, 12, 13, 101])
def test_either_way_is_possible_and_the_average_is_the_true_count(count: int) -> None:
    """Nobody can tell from 10 whether it was rounded up or down (both happen for every
    count that is not a multiple of 5), and over all keys the rounding is fair."""
    published = [round_total(count, key) for key in range(KEYS)]
    assert {count - count % BASE, count - count % BASE + BASE} == set(published)
    assert mean(published) == pytest.approx(count, abs=0.02 * BASE)


def test_the_same_children_always_give_the_same_figure_and_one_more_changes_the_key() -> None:
    rng = random.Random(14)
    keys = [rng.randrange(KEYS) for _ in range(23)]
    assert round_total(23, sum(keys)) == round_total(23, sum(keys))
    # One more child moves the cell key by their own record key, which nobody knows: every
    # new cell key is as likely as any other.
    moved = {cell_key(sum(keys) + extra) for extra in range(KEYS)}
    assert len(moved) == KEYS


def test_key_sums_wrap_around() -> None:
    assert cell_key(256 * 7 + 3) == 3
    assert round_total(12, 3) == round_total(12, 256 * 40 + 3)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        round_total(-1, 0)


def _random_parts(rng: random.Random, size: int) -> dict[str, tuple[int, int]]:
    return {f"part{index}": (rng.choice([0, 0, 1, 2, 3, 4, rng.randrange(60)]),
                             rng.randrange(10_000)) for index in range(size)}


@pytest.mark.parametrize("seed", range(40))
def test_the_parts_add_up_to_the_rounded_total_and_each_is_rounded_one_way(seed: int) -> None:
    rng = random.Random(seed)
    parts = _random_parts(rng, rng.randrange(1, 9))
    exact = sum(count for count, _key in parts.values())
    total = round_total(exact, sum(key for _count, key in parts.values()))
    rounded = round_parts(total, parts)
    assert sum(rounded.values()) == total
    for name, (count, _key) in parts.items():
        assert rounded[name] in (count - count % BASE, count - count % BASE + BASE)
        if count % BASE == 0:
            assert rounded[name] == count


def test_every_part_can_go_either_way() -> None:
    """A part of 3 beside a part of 3 (total 6, published 5 or 10): over the keys, each part
    is sometimes 0 and sometimes 5, so "5" says nothing about which part had more."""
    seen: dict[str, set[int]] = {"a": set(), "b": set()}
    for key_a in range(0, KEYS, 3):
        for key_b in range(0, KEYS, 7):
            parts = {"a": (3, key_a), "b": (3, key_b)}
            for total in (5, 10):
                rounded = round_parts(total, parts)
                for name in seen:
                    seen[name].add(rounded[name])
    assert seen == {"a": {0, 5}, "b": {0, 5}}


def test_parts_keep_their_rounding_whatever_order_they_come_in() -> None:
    parts = {"x": (7, 40), "y": (8, 200), "z": (4, 9)}
    total = round_total(19, 249)
    reversed_parts = dict(reversed(list(parts.items())))
    assert round_parts(total, parts) == round_parts(total, reversed_parts)


@pytest.mark.parametrize("total", [0, 25, 12])
def test_a_total_that_is_not_a_rounding_of_the_parts_is_refused(total: int) -> None:
    # The parts add up to 19: only 15 or 20 will do.
    with pytest.raises(ValueError, match="not a rounding"):
        round_parts(total, {"x": (7, 1), "y": (8, 2), "z": (4, 3)})


def test_a_negative_part_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        round_parts(0, {"x": (-1, 0), "y": (1, 0)})


def test_a_share_is_a_whole_percentage_halves_up_and_of_nobody_is_no_figure() -> None:
    assert percent(1, 8) == 13  # 12.5
    assert percent(10, 15) == 67
    assert percent(5, 5) == 100
    assert percent(0, 0) is None


@pytest.mark.parametrize(("part", "whole"), [(-1, 5), (6, 5), (1, -1)])
def test_a_share_refuses_impossible_counts(part: int, whole: int) -> None:
    with pytest.raises(ValueError):
        percent(part, whole)
