"""expert/draw.py as plain functions: the panel's composition under each rule, exclusions, and the
draw's own recomputation agreeing with the draw."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jiuzhu_procurement.expert import draw

TENDER = draw.SizeRule(5, True, Fraction(2, 3))
LARGE = draw.SizeRule(7, True, Fraction(2, 3))
CONSULTATION = draw.SizeRule(3, True, Fraction(2, 3))


@pytest.mark.parametrize(
    ("rule", "size", "reps", "expected"),
    [
        (TENDER, None, 0, (5, 0, 5)),
        (TENDER, None, 1, (5, 1, 4)),
        (TENDER, None, 2, (7, 2, 5)),  # 3/5 < 2/3: the smallest lawful panel grows
        (LARGE, None, 1, (7, 1, 6)),
        (LARGE, 9, 3, (9, 3, 6)),
        (CONSULTATION, None, 1, (3, 1, 2)),
    ],
)
def test_the_smallest_lawful_panel(
    rule: draw.SizeRule, size: int | None, reps: int, expected: tuple[int, int, int]
) -> None:
    c = draw.compose(rule, size, reps)
    assert isinstance(c, draw.Composition) and (c.size, c.representatives, c.experts) == expected


@pytest.mark.parametrize(
    ("rule", "size", "reps", "says"),
    [
        (LARGE, 5, 0, "7 人以上单数"),
        (TENDER, 6, 0, "5 人以上单数"),
        (LARGE, 7, 3, "专家 4/7"),
        (TENDER, 27, 0, "超过 25 人"),
    ],
)
def test_an_unlawful_panel_says_why(rule: draw.SizeRule, size: int, reps: int, says: str) -> None:
    c = draw.compose(rule, size, reps)
    assert isinstance(c, draw.CompositionRefusal) and says in c.zh


def test_exclusions_in_their_order_and_the_recomputation_agrees() -> None:
    bidder, organ = "91640181MA0005001X", "11640181MA0000001A"
    pool = [
        draw.Candidate(f"{i:08d}-0000-0000-0000-000000000000", True, frozenset({"社会工作"}))
        for i in range(8)
    ]
    pool += [
        draw.Candidate("a0000000-0000-0000-0000-000000000000", False, frozenset({"社会工作"}), bidder),
        draw.Candidate("b0000000-0000-0000-0000-000000000000", True, frozenset({"社会工作"}), bidder),
        draw.Candidate("c0000000-0000-0000-0000-000000000000", True, frozenset({"财务"}), organ),
        draw.Candidate(
            "d0000000-0000-0000-0000-000000000000",
            True,
            frozenset({"财务"}),
            conflict_divisions=frozenset({"640100"}),  # a tie to 银川市 covers 灵武市
        ),
        draw.Candidate("e0000000-0000-0000-0000-000000000000", True, frozenset({"财务"})),
    ]
    ties = draw.Ties(frozenset({bidder}), "640181", frozenset({"社会工作"}))
    seeds = ("ab" * 32, "cd" * 32)
    result = draw.draw(draw.draw_key(*seeds), pool, ties, 5)
    assert dict(result.exclusions) == {
        "a0000000-0000-0000-0000-000000000000": "inactive",
        "b0000000-0000-0000-0000-000000000000": "bidder_organisation",
        "c0000000-0000-0000-0000-000000000000": "purchaser_organisation",
        "d0000000-0000-0000-0000-000000000000": "declared_conflict_purchaser",
        "e0000000-0000-0000-0000-000000000000": "fields",
    }
    ids = sorted(c.id for c in pool)
    published = draw.Published(
        purchaser_seed=seeds[0],
        service_seed=seeds[1],
        purchaser_commitment=draw.commitment(seeds[0]),
        service_commitment=draw.commitment(seeds[1]),
        pool=ids,
        pool_hash=draw.pool_hash(ids),
        exclusions=dict(result.exclusions),
        experts=5,
    )
    assert draw.recompute(published) == result.panel and len(result.panel) == 5
    other = draw.draw(draw.draw_key("ef" * 32, seeds[1]), pool, ties, 5)
    assert other.ranking != result.ranking  # the purchaser's seed moves the order
    with pytest.raises(ValueError, match="purchaser seed"):
        draw.recompute(draw.Published(**{**published.__dict__, "purchaser_seed": "ef" * 32}))
