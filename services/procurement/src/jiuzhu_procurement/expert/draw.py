"""The expert draw (随机抽取评审专家), pure and deterministic: anyone holding the published record
recomputes the panel with a few lines of any language. No I/O, no clock, no randomness of its own.

Algorithm `jiuzhu-expert-draw/1`:

1. Before the bid deadline the purchaser commits to a secret seed of its own (hex, 32–128
   characters) by publishing `sha256(seed)`; at that moment the service draws a second seed with
   `secrets` and publishes its hash too. The pool is frozen then: the ids of every active expert
   in a pool covering the project (`pool`, sorted), and `pool_hash = sha256("\\n".join(pool))`.
2. At the draw (after bids close) the purchaser reveals its seed, refused unless
   `sha256(seed) == purchaser_commitment`; the service reveals its own.
3. `key = sha256("jiuzhu-expert-draw/1:" + purchaser_seed + ":" + service_seed)` (32 bytes).
4. `eligible = pool − exclusions` (each exclusion has its reason: 回避, fields, inactive), sorted.
5. `ranking = eligible` sorted by `HMAC-SHA256(key, expert_id).hexdigest()`, then by id.
6. `panel = ranking[:experts]`.

Why two seeds: a seed the purchaser alone chose would tell it the panel before the draw (and let it
steer the pool, e.g. by recording conflicts of the experts ranked first); a seed the service alone
drew would sit in the database, readable by whoever reads the tables. Combined, neither the
purchaser nor a database reader can know the panel before the reveal, and the purchaser cannot
choose it afterwards: its seed is bound by the published hash, the service's too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from jiuzhu_kit import divisions

ALGORITHM = "jiuzhu-expert-draw/1"
SEED = re.compile(r"[0-9a-f]{32,128}")
HEX64 = re.compile(r"[0-9a-f]{64}")

# Why an expert of the frozen pool is not eligible, in the order they are tested (the first that
# applies is recorded). What each means and the clauses that require it are dated, cited rule data
# (cn-procurement `expert_exclusion_reasons`, rulebook/units.py), frozen on the draw at its commitment
# and published with every exclusion.
REASON_KEYS: tuple[str, ...] = (
    "inactive",
    "bidder_organisation",
    "declared_conflict_bidder",
    "purchaser_organisation",
    "declared_conflict_purchaser",
    "fields",
)
BASIS = "政府采购法实施条例 第三十九条; 财政部令第87号 第四十八条"  # experts drawn at random from the pool


def commitment(seed: str) -> str:
    """The published hash of a seed: sha256 of its ASCII text, lowercase hex."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def pool_hash(ids: Sequence[str]) -> str:
    """sha256 of the sorted ids joined by newlines (the frozen pool's fingerprint)."""
    return hashlib.sha256("\n".join(ids).encode("ascii")).hexdigest()


def draw_key(purchaser_seed: str, service_seed: str) -> bytes:
    return hashlib.sha256(f"{ALGORITHM}:{purchaser_seed}:{service_seed}".encode("ascii")).digest()


def rank(key: bytes, eligible: Iterable[str]) -> list[str]:
    """The eligible ids in draw order: by HMAC-SHA256(key, id) in hex, then by id."""
    return sorted(eligible, key=lambda i: (hmac.new(key, i.encode("ascii"), hashlib.sha256).hexdigest(), i))


@dataclass(frozen=True)
class Candidate:
    """An expert of the frozen pool as the draw sees it (no personal data)."""

    id: str
    active: bool
    fields: frozenset[str]
    organisation_uscc: str | None = None
    conflict_usccs: frozenset[str] = frozenset()
    conflict_divisions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Ties:
    """What the experts must not be tied to: this round's bidders and the purchaser's division."""

    bidders: frozenset[str]
    purchaser_division: str
    fields: frozenset[str] = frozenset()  # needed fields (an expert needs one of them); empty: any


def purchaser_organ(uscc: str | None, division: str) -> bool:
    """A government organ (机构编制 机关, code "11…") registered in the purchaser's county."""
    return uscc is not None and uscc.startswith("11") and uscc[2:8] == division[:6]


def exclusion(c: Candidate, ties: Ties) -> str | None:
    """The first reason `c` may not be drawn, or None."""
    if not c.active:
        return "inactive"
    if c.organisation_uscc is not None and c.organisation_uscc in ties.bidders:
        return "bidder_organisation"
    if c.conflict_usccs & ties.bidders:
        return "declared_conflict_bidder"
    if purchaser_organ(c.organisation_uscc, ties.purchaser_division):
        return "purchaser_organisation"
    if any(divisions.covers(d, ties.purchaser_division) for d in c.conflict_divisions):
        return "declared_conflict_purchaser"
    if ties.fields and not (c.fields & ties.fields):
        return "fields"
    return None


@dataclass(frozen=True)
class Result:
    exclusions: list[tuple[str, str]]  # (expert id, reason), by id
    eligible: list[str]  # sorted
    ranking: list[str]  # draw order
    panel: list[str]  # the first `experts` of the ranking


def eligible(pool: Sequence[Candidate], ties: Ties) -> tuple[list[tuple[str, str]], list[str]]:
    excluded: list[tuple[str, str]] = []
    ok: list[str] = []
    for c in sorted(pool, key=lambda c: c.id):
        why = exclusion(c, ties)
        if why is None:
            ok.append(c.id)
        else:
            excluded.append((c.id, why))
    return excluded, ok


def draw(key: bytes, pool: Sequence[Candidate], ties: Ties, experts: int) -> Result:
    """The panel of `experts` drawn from `pool` (the caller checks there are enough)."""
    excluded, ok = eligible(pool, ties)
    order = rank(key, ok)
    return Result(excluded, ok, order, order[:experts])


# ---- the panel's composition (87号令 47, 74号令 7: size, odd, experts' share) ---------------------


@dataclass(frozen=True)
class Composition:
    size: int
    representatives: int
    experts: int


@dataclass(frozen=True)
class CompositionRefusal:
    zh: str
    en: str


@dataclass(frozen=True)
class SizeRule:
    minimum: int
    odd: bool
    expert_share: Fraction
    maximum: int = 25  # the most members a scoring accepts


def _fails(rule: SizeRule, size: int, representatives: int) -> CompositionRefusal | None:
    experts = size - representatives
    if size < rule.minimum or (rule.odd and size % 2 == 0):
        odd_zh, odd_en = ("单数", " and odd") if rule.odd else ("", "")
        return CompositionRefusal(
            f"{size} 人，应为 {rule.minimum} 人以上{odd_zh}", f"{size} members; needs {rule.minimum}+{odd_en}"
        )
    if size > rule.maximum:
        return CompositionRefusal(
            f"{size} 人，超过 {rule.maximum} 人", f"{size} members, over {rule.maximum}"
        )
    if experts < 1:
        return CompositionRefusal("没有需要抽取的专家", "no experts to draw")
    share = rule.expert_share
    if experts * share.denominator < share.numerator * size:
        return CompositionRefusal(
            f"专家 {experts}/{size}，不得少于 {share.numerator}/{share.denominator}",
            f"experts {experts}/{size}, below {share.numerator}/{share.denominator}",
        )
    return None


def compose(rule: SizeRule, size: int | None, representatives: int) -> Composition | CompositionRefusal:
    """The panel asked for, or (size None) the smallest lawful one with that many representatives."""
    if size is not None:
        return _fails(rule, size, representatives) or Composition(
            size, representatives, size - representatives
        )
    for n in range(max(rule.minimum, representatives + 1), rule.maximum + 1):
        if _fails(rule, n, representatives) is None:
            return Composition(n, representatives, n - representatives)
    return CompositionRefusal(
        f"采购人代表 {representatives} 人时无法组成合规的评审小组",
        f"no lawful panel with {representatives} representatives",
    )


@dataclass(frozen=True)
class Published:
    """Everything the public record holds that a recomputation reads (see the module docstring)."""

    purchaser_seed: str
    service_seed: str
    purchaser_commitment: str
    service_commitment: str
    pool: list[str]
    pool_hash: str
    exclusions: dict[str, str] = field(default_factory=dict)
    experts: int = 0


def recompute(p: Published) -> list[str]:
    """The panel from the published record alone; raises ValueError where it does not hold."""
    if commitment(p.purchaser_seed) != p.purchaser_commitment:
        raise ValueError("purchaser seed does not match its commitment")
    if commitment(p.service_seed) != p.service_commitment:
        raise ValueError("service seed does not match its commitment")
    if list(p.pool) != sorted(p.pool) or pool_hash(p.pool) != p.pool_hash:
        raise ValueError("pool does not match its hash")
    ok: Collection[str] = [i for i in p.pool if i not in p.exclusions]
    return rank(draw_key(p.purchaser_seed, p.service_seed), ok)[: p.experts]


def panel_refusal(
    drawn: Sequence[str] | None, representatives: int, members: Sequence[tuple[str, bool]]
) -> CompositionRefusal | None:
    """Why a scoring panel (member id, is an expert) is not the committed one: the drawn experts
    (None: not drawn yet) and as many purchaser's representatives as committed."""
    if drawn is None:
        return CompositionRefusal(
            "本轮已承诺随机抽取评审专家，须先完成抽取",
            "an expert draw is committed for this round: draw first",
        )
    experts = {m for m, expert in members if expert}
    reps = sum(1 for _, expert in members if not expert)
    if experts != set(drawn):
        return CompositionRefusal(
            f"评审专家应为随机抽取的 {len(drawn)} 名专家（抽取结果中的 panel）",
            f"the experts must be the {len(drawn)} drawn (the draw's panel)",
        )
    if reps != representatives:
        return CompositionRefusal(
            f"采购人代表 {reps} 人，与承诺的 {representatives} 人不符",
            f"{reps} purchaser's representatives, not the {representatives} committed",
        )
    return None
