"""The published record of a draw (what anyone reads) and the purchaser's view of it (who was
drawn). The steps are the recipe a reader follows to recompute the panel (expert/draw.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.rules.book import Rule
from jiuzhu_procurement.expert import draw as rules
from jiuzhu_procurement.expert import repository
from jiuzhu_procurement.expert.models import ExpertDraw
from jiuzhu_procurement.expert.policy import name_for
from jiuzhu_procurement.expert.schemas import DrawOut, ExclusionOut, PanelExpertOut, PublicDrawOut, RuleOut
from jiuzhu_procurement.rulebook.book import default_book

STEPS = [
    "check sha256(purchaser_seed) == purchaser_commitment and sha256(service_seed) == service_commitment",
    'check pool is sorted and sha256("\\n".join(pool)) == pool_hash',
    'key = sha256("jiuzhu-expert-draw/1:" + purchaser_seed + ":" + service_seed) (32 bytes)',
    "eligible = the pool ids without the excluded ones (each exclusion gives its reason and clause)",
    "ranking = eligible sorted by HMAC-SHA256(key, expert_id) as lowercase hex, then by expert_id",
    "panel = the first `experts` ids of the ranking",
]


def frozen_reasons(rule: Rule) -> dict[str, dict[str, str]]:
    """The exclusion reasons of a rule in force (cn-procurement `expert_exclusion_reasons`) as the
    draw keeps them: key → its text in Chinese and English and its clauses."""
    return {r.key: {"zh": r.name_zh, "en": r.name_en, "citation": r.cite} for r in rule.value}


def reasons_of(d: ExpertDraw) -> dict[str, dict[str, str]]:
    """The reasons frozen on the draw at its commitment; a draw committed before they were rule data
    reads the national rule in force on its commitment day (the same texts and clauses)."""
    stored = (d.rule or {}).get("reasons")
    if stored:
        return dict(stored)
    on = d.committed_at.astimezone(clock.CST).date() if d.committed_at else clock.today()
    return frozen_reasons(default_book().at(d.division_code, on).rule("expert_exclusion_reasons"))


def public_out(d: ExpertDraw) -> PublicDrawOut:
    drawn = d.status == "drawn"
    exclusions = None
    if drawn and d.exclusions is not None:
        reasons = reasons_of(d)
        exclusions = [
            ExclusionOut(
                expert_id=x["expert_id"],
                reason=x["reason"],
                reason_zh=reasons[x["reason"]]["zh"],
                reason_en=reasons[x["reason"]]["en"],
                citation=reasons[x["reason"]]["citation"],
            )
            for x in d.exclusions
        ]
    return PublicDrawOut(
        project_id=d.project_id,
        round=d.round,
        status=d.status,
        algorithm=d.algorithm,
        algorithm_steps=STEPS,
        basis=rules.BASIS,
        purchaser_commitment=d.purchaser_commitment,
        service_commitment=d.service_commitment,
        pool_hash=d.pool_hash,
        pool_size=len(d.pool),
        panel_size=d.panel_size,
        representatives=d.representatives,
        experts=d.experts,
        fields=d.fields,
        rule=RuleOut.model_validate(d.rule),
        committed_at=d.committed_at,
        purchaser_seed=d.purchaser_seed if drawn else None,
        service_seed=d.service_seed if drawn else None,  # secret until the draw
        pool=d.pool,
        exclusions=exclusions,
        eligible=d.eligible if drawn else None,
        ranking=d.ranking if drawn else None,
        panel=d.panel if drawn else None,
        drawn_at=d.drawn_at,
    )


async def draw_out(session: AsyncSession, d: ExpertDraw, principal: Principal) -> DrawOut:
    """The purchaser's view: the public record, and the drawn experts (names masked for anyone but
    the managers of each expert's pool)."""
    members = None
    if d.status == "drawn" and d.panel:
        experts = {str(e.id): e for e in await repository.by_ids(session, d.panel)}
        members = [
            PanelExpertOut(
                expert_id=i,
                name=name_for(principal, experts[i].pool_division, experts[i].name),
                organisation=experts[i].organisation,
                fields=experts[i].fields,
            )
            for i in d.panel
        ]
    return DrawOut(
        **public_out(d).model_dump(),
        panel_experts=members,
        committed_by=d.committed_by,
        drawn_by=d.drawn_by,
    )
