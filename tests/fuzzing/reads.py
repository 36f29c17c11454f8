"""Every read the authorization matrix makes on the Lingwu world, and who may see each sentinel.

`reads(world)` fills every GET operation of the three contracts with the world's records (a project
in bidding, in scoring and awarded; a contract; rounds collecting and published; …); an operation
that is neither filled nor listed in REFERENCE fails the matrix, so a new route gets probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fuzzing import operations
from tests.fuzzing.world import (
    ABSENT_DOCUMENT_OWNERS,
    EXPERT_NAME,
    NAMES,
    OWN,
    PERSON_NAME,
    PERSON_PHONE,
    PRICES,
    SCORES,
    TEMPLATE_CODE,
    D,
    W,
    World,
    X,
    Y,
    document_owners,
)

NO_WORKER = "00000000-0000-4000-8000-00000000a001"
NO_DOCUMENT = "00000000-0000-4000-8000-00000000d0c0"  # a document no record has
SIBLING, CITY, OTHER, NATIONAL = "640121", "640100", "440103", "000000"
PLACES = {"own": OWN, "sibling": SIBLING, "city": CITY, "other-province": OTHER, "national": NATIONAL}
INSIDE = {OWN, CITY, NATIONAL}  # divisions whose subtree holds Lingwu
PURCHASER = {"admin", "bureau", "township", "finance", "auditor"}
SEES_PERSONAL = {"admin", "bureau", "finance", "auditor"}  # contractor/service.py `sees_personal`
POOL_MANAGERS = {"bureau", "finance"}  # expert/policy.py `manages`

# Reference data and probes: the same for everyone, nothing of the world in them.
REFERENCE = {
    "/healthz",
    "/readyz",
    "/calendar/{year}",
    "/calendar/working-days",
    "/packs",
    "/packs/in-force",
    "/packs/{pack_id}",
    "/pilots/{province_code}/{year}/check",
    "/catalogue",
    "/public/catalogue",
    "/public/purchasers/{division_code}",  # the purchaser registry (data): public bureaus, no one's data
    "/negative-list",
    "/thresholds",
    "/workflows",
    "/workflows/{aggregate}",
    "/workflows/{aggregate}/mermaid",
    "/rules",
    "/rules/documents",
    "/rules/in-force",
    "/rules/{pack_id}",
    # Public chain heads (kit transparency): ids and hashes of the whole log, the same for everyone.
    "/public/transparency/heads/latest",
    "/public/transparency/heads/{sequence}",
    "/public/transparency/key",
    "/public/transparency/entries",
    "/public/transparency/proofs/inclusion",
    "/public/transparency/proofs/consistency",
}


@dataclass(frozen=True)
class Principal:
    label: str
    role: str | None  # None: no token
    div: str = ""
    org: str | None = None


def principals() -> list[Principal]:
    out = [Principal("no token", None)]
    for place, div in PLACES.items():
        for role in ("admin", "bureau", "township", "finance", "auditor", "evaluator", "portal"):
            out.append(Principal(f"{role}@{place}", role, div))
        out.append(Principal(f"contractor(bidder X)@{place}", "contractor", div, X))
        out.append(Principal(f"contractor(unrelated)@{place}", "contractor", div, NAMES_UNRELATED))
    return out


NAMES_UNRELATED = next(code for code, name in NAMES.items() if "无关" in name)


@dataclass(frozen=True)
class Read:
    service: str
    path: str  # the contract's template
    url: str
    tag: str = ""  # which record filled it ("bidding", "published", …)
    params: dict[str, str] = field(default_factory=dict)
    aggregate: str | None = None  # histories and the single read of one aggregate share this
    kind: str = "sub"  # single | history | sub | list
    lingwu: bool = True  # the record lies in Lingwu's jurisdiction (False: national registry)
    registry: bool = False  # the contractor registry: bidders' names there are not about a bid
    # A bidder's route: contractors bid from anywhere (政府采购法 22), so a contractor's place does
    # not bind it there (rule 3 does not apply to contractors); the purchaser's side is bound as ever.
    bidder_route: bool = False
    # The opening record's readers besides the purchaser's side: the bidders it reads out.
    round_bidders: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.service} GET {self.path}{'?' + q if q else ''}{f' [{self.tag}]' if self.tag else ''}"


def reads(w: World) -> list[Read]:
    out: list[Read] = []

    def add(service: str, path: str, url: str, **kw: Any) -> None:
        out.append(Read(service, path, url, **kw))

    def aggregate(
        service: str, single: str, history: str, id_: str, agg: str, tag: str = "", **kw: Any
    ) -> None:
        pname = single[single.index("{") : single.index("}") + 1]
        hname = history[history.index("{") : history.index("}") + 1]
        add(service, single, single.replace(pname, id_), tag=tag, aggregate=agg, kind="single", **kw)
        for suffix in ("/events", "/events/verify"):
            h = history + suffix
            if h in {p for _, p in operations(service)}:
                add(service, h, h.replace(hname, id_), tag=tag, aggregate=agg, kind="history", **kw)

    p = "procurement"
    for state, pid in w.projects.items():
        aggregate(p, "/projects/{project_id}", "/projects/{project_id}", pid, f"project:{state}", state)
        for sub in ("bids", "challenges", "complaints", "ranking"):
            add(p, f"/projects/{{project_id}}/{sub}", f"/projects/{pid}/{sub}", tag=state)
        bids = w.bids.get(state, {})
        add(p, "/projects/{project_id}/bids/mine", f"/projects/{pid}/bids/mine", tag=state, bidder_route=True)
        add(
            p,
            "/projects/{project_id}/opening",
            f"/projects/{pid}/opening",
            tag=state,
            bidder_route=True,
            round_bidders=frozenset(bids),
        )
        for code, bid in bids.items():  # each bid, read by everyone (its bidder, the others, the purchaser)
            add(
                p,
                "/projects/{project_id}/bids/{bid_id}",
                f"/projects/{pid}/bids/{bid}",
                tag=f"{state}, {NAMES[code]}'s bid",
                bidder_route=True,
            )
        for kind in ("records", "releases"):
            add(p, f"/ocds/{kind}/{{project_id}}", f"/ocds/{kind}/{pid}", tag=state)
    # Every release of all time in one package: what the per-project packages show, no more.
    period = {"from": "2000-01-01", "to": "2100-12-31", "limit": "500"}
    add(p, "/ocds/releases/period", "/ocds/releases/period", params=period, kind="list")
    aggregate(p, "/plans/{plan_id}", "/plans/{plan_id}", w.plan, "plan")
    aggregate(p, "/contracts/{contract_id}", "/contracts/{contract_id}", w.contract, "contract")
    # The roster of the world's contract (a draft: no roster yet, so every reader finds none, the same
    # way), and a worker nobody has: the routes answer with the aggregate's refusals, never a leak.
    # The roster's own visibility (party, bureau, township; masked personal data) is proven through the
    # gateway in tests/test_story_people.py.
    for sub in ("workers", "trainings", "trainings/missing"):
        add(p, f"/contracts/{{contract_id}}/{sub}", f"/contracts/{w.contract}/{sub}")
    aggregate(p, "/workers/{worker_id}", "/workers/{worker_id}", NO_WORKER, "roster_worker")
    # A payment's history is read as its contract is; the world's contract is a draft, so it has no
    # payment yet and its history answers as an absent one would (404 CONTRACT_NOT_FOUND).
    for suffix in ("/events", "/events/verify"):
        h = "/contracts/{contract_id}/payments/{period}" + suffix
        add(p, h, f"/contracts/{w.contract}/payments/2030-H1{suffix}")
    for code, tag in ((X, "bidder X"), (D, "debarred D")):
        aggregate(
            p,
            "/contractors/{uscc}",
            "/contractors/{uscc}",
            code,
            f"contractor:{tag}",
            tag,
            lingwu=False,
            registry=True,
        )
    aggregate(
        p,
        "/debarments/{debarment_id}",
        "/debarments/{debarment_id}",
        w.debarment,
        "debarment",
        lingwu=False,
        registry=True,
    )
    aggregate(
        p, "/rules/local-packs/{pack_uuid}", "/rules/local-packs/{pack_uuid}", w.local_pack, "local-pack"
    )
    add(p, "/rules/local-packs", "/rules/local-packs", kind="list")
    aggregate(p, "/experts/{expert_id}", "/experts/{expert_id}", w.expert, "expert")
    add(p, "/experts", "/experts", kind="list")
    # Documents, read as their aggregate is (attachments/service.py, evaluation round/ and survey/
    # documents.py); X's bid's are sealed. A payment's and an amendment's: the world's draft contract
    # has neither, so every reader gets the absent answer.
    owners = document_owners(w)
    targets = [
        (template, owners[template][0], base, doc) for template, (base, doc) in w.documents.items()
    ] + [
        (
            "/contracts/{contract_id}" + t.split("{contract_id}")[1],
            p,
            c.format(contract=w.contract),
            NO_DOCUMENT,
        )
        for t, c in ABSENT_DOCUMENT_OWNERS.items()
    ]
    for template, service, concrete, doc in targets:
        base = f"{template}/documents"
        bidder = template.startswith("/bids/")
        tag = "bidding, X's bid" if bidder else template.split("/")[1]
        add(service, base, f"{concrete}/documents", tag=tag, bidder_route=bidder)
        add(service, base + "/{document_id}", f"{concrete}/documents/{doc}", tag=tag, bidder_route=bidder)
        add(
            service,
            base + "/{document_id}/content",
            f"{concrete}/documents/{doc}/content",
            tag=tag,
            bidder_route=bidder,
        )
    for state, pid in w.projects.items():  # committed on the project in bidding only
        add(p, "/projects/{project_id}/expert-draw", f"/projects/{pid}/expert-draw", tag=state)
        add(p, "/public/projects/{project_id}/expert-draw", f"/public/projects/{pid}/expert-draw", tag=state)
    for params in ({}, {"division_code": OWN, "status": "awarded"}, {"contractor_uscc": W}):
        add(p, "/projects", "/projects", params=params, kind="list")
    add(p, "/projects/counts", "/projects/counts", kind="list")
    add(p, "/plans", "/plans", kind="list")
    for params in ({}, {"division_code": OWN}):
        add(p, "/contracts", "/contracts", params=params, kind="list")
        add(p, "/payments", "/payments", params=params, kind="list")
        add(p, "/contracts/counts", "/contracts/counts", params=params, kind="list")
        add(p, "/payments/counts", "/payments/counts", params=params, kind="list")
        add(p, "/challenges", "/challenges", params=params, kind="list")
    # Bids by the sealed-bid rules: no filter finds a sealed bid by its bidder; a bidder reads its own
    # opened bids from anywhere (a bidder route).
    for params in ({}, {"contractor_uscc": X}, {"opened": "false"}):
        add(p, "/bids", "/bids", params=params, kind="list", bidder_route=True)
    add(p, "/debarments", "/debarments", kind="list", lingwu=False, registry=True)
    for params in ({}, {"q": "灵武"}):
        add(p, "/contractors", "/contractors", params=params, kind="list", lingwu=False, registry=True)
    for overdue in (
        "/contracts/overdue-deadlines",
        "/contracts/overdue-payments",
        "/projects/overdue-deadlines",
    ):
        add(p, overdue, overdue, params={"division_code": OWN}, kind="list")
    # Across rosters, narrowed by the roster's read policy (the world has no worker: all answer empty
    # alike; the content per reader is proven in tests/test_story_people.py).
    add(p, "/workers/in-post", "/workers/in-post", params={"division_code": OWN}, kind="list")
    for across in ("/workers/overdue-replacements", "/trainings/missing"):
        for params in ({}, {"division_code": OWN}):
            add(p, across, across, params=params, kind="list")
    for params in ({}, {"division_code": OWN}):
        add(p, "/complaints", "/complaints", params=params, kind="list")
    for path in ("/public/announcements", "/public/contracts", "/public/results"):
        for params in ({}, {"division_code": OWN}, {"division_code": OTHER}):
            add(p, path, path, params=params, kind="list")
    for params in ({}, {"division_code": OWN}):
        add(
            p,
            "/public/debarments",
            "/public/debarments",
            params=params,
            kind="list",
            lingwu=False,
            registry=True,
        )
    for place in (OWN, f"{OWN}100"):  # who serves Lingwu and its township: public, names masked
        add(p, "/public/who-serves/{division_code}", f"/public/who-serves/{place}", kind="list")

    e = "evaluation"
    for state, rid in w.rounds.items():
        aggregate(e, "/rounds/{round_id}", "/rounds/{round_id}", rid, f"round:{state}", state)
        for sub in ("appeals", "scores"):
            add(e, f"/rounds/{{round_id}}/{sub}", f"/rounds/{rid}/{sub}", tag=state)
        # The publication is the round's public disclosure (any token, any place): sentinels only.
        add(e, "/rounds/{round_id}/publication", f"/rounds/{rid}/publication", tag=state, lingwu=False)
        # Its public read (no token): published rounds only; others look absent to everyone.
        add(e, "/public/results/{round_id}", f"/public/results/{rid}", tag=state, lingwu=False)
    for params in ({}, {"division_code": OWN}, {"division_code": OTHER}):
        add(e, "/public/results", "/public/results", params=params, kind="list", lingwu=False)
    add(e, "/public/surveys/{survey_id}/results", f"/public/surveys/{w.survey}/results", lingwu=False)
    add(e, "/public/survey", "/public/survey", lingwu=False)
    aggregate(e, "/surveys/{survey_id}", "/surveys/{survey_id}", w.survey, "survey")
    add(e, "/surveys/{survey_id}/results", f"/surveys/{w.survey}/results")
    aggregate(
        e, "/templates/by-code/{code}", "/templates/by-code/{code}", TEMPLATE_CODE, "template", lingwu=False
    )
    add(e, "/templates/{template_id}", f"/templates/{w.template}", lingwu=False)
    add(e, "/templates", "/templates", kind="list", lingwu=False)
    for path in ("/consequences/contractor-history/{uscc}", "/consequences/debarment-suggestion/{uscc}"):
        add(e, path, path.replace("{uscc}", W), lingwu=False, registry=True)
    # Answers outside the jurisdiction exactly as for a contract without a round (released: false,
    # NO_ROUND), so a 404 there would itself tell that the contract exists: not held to rule 3.
    add(
        e,
        "/consequences/payment-release",
        "/consequences/payment-release",
        params={"contract_id": w.contract, "period": "2030-H1"},
        lingwu=False,
    )
    add(e, "/rounds", "/rounds", kind="list")
    # The schedule is read as its contract is (procurement answers for the contract).
    sched = "/contracts/{contract_id}/evaluation-schedule"
    add(e, sched, sched.replace("{contract_id}", w.contract))
    add(
        e,
        "/contracts/missing-rounds",
        "/contracts/missing-rounds",
        params={"division_code": OWN},
        kind="list",
    )
    add(e, "/surveys", "/surveys", kind="list")
    add(e, "/surveys", "/surveys", params={"division_code": OWN}, kind="list")
    add(e, "/rounds", "/rounds", params={"contract_id": w.contract}, kind="list")
    sa = {"contract_id": w.contract}
    for suffix in ("/events", "/events/verify"):
        h = "/staff-assessments/{assessment_id}" + suffix
        add(e, h, f"/staff-assessments/{w.staff_assessment}{suffix}")
    add(e, "/staff-assessments", "/staff-assessments", params=sa, kind="list")
    add(e, "/staff-assessments/outcomes", "/staff-assessments/outcomes", params=sa, kind="list")
    add(
        e,
        "/staff-assessments/renewal",
        "/staff-assessments/renewal",
        params=sa | {"staff_ref": "verifier-01"},
        kind="list",
    )
    add(
        e,
        "/surveys/results/by-contract-period",
        "/surveys/results/by-contract-period",
        params={"division_code": OWN},
        kind="list",
    )

    s = "staffing"
    aggregate(s, "/scenarios/{scenario_id}", "/scenarios/{scenario_id}", w.scenario, "scenario")
    add(s, "/scenarios/{scenario_id}/reproduce", f"/scenarios/{w.scenario}/reproduce")
    report = "/compliance/reports/{division_code}/{year}"
    add(s, report, f"/compliance/reports/{OWN}/2019", aggregate="compliance", kind="single")
    for suffix in ("/events", "/events/verify"):
        add(
            s,
            report + suffix,
            f"/compliance/reports/{OWN}/2019{suffix}",
            aggregate="compliance",
            kind="history",
        )
    for suffix in ("/events", "/events/verify"):  # no pilots in the world: absent to everyone
        h = "/pilots/{province_code}/{year}" + suffix
        add(s, h, f"/pilots/640000/2019{suffix}")
    add(
        s,
        "/compliance/summary",
        "/compliance/summary",
        params={"division_code": OWN, "year": "2019"},
        kind="list",
    )
    for params in ({}, {"division_code": OWN}):
        add(s, "/scenarios", "/scenarios", params=params, kind="list")
        add(s, "/compliance/reports", "/compliance/reports", params=params, kind="list")
    # The changes feed of each service, with every aggregate as its reader may see it.
    # The contractor registry is national (its names are no bidder's secret): probed on its own.
    feed = {"expand": "true", "limit": "1000"}
    kinds = "project,challenge,complaint,plan,contract,payment,debarment,expert"
    add(p, "/changes", "/changes", params={**feed, "aggregate_type": kinds}, kind="list")
    add(
        p, "/changes", "/changes", params={**feed, "aggregate_type": "contractor"}, kind="list", registry=True
    )
    for svc in (e, s):
        add(svc, "/changes", "/changes", params=feed, kind="list")
    # Webhook endpoints are their owner's alone (none in the world: every caller sees none).
    nobody = "00000000-0000-0000-0000-00000000cafe"
    for svc in (p, e, s):
        add(svc, "/webhooks/endpoints", "/webhooks/endpoints", kind="list", lingwu=False)
        for path in ("/webhooks/endpoints/{endpoint_id}", "/webhooks/endpoints/{endpoint_id}/deliveries"):
            add(svc, path, path.replace("{endpoint_id}", nobody), lingwu=False)
    return out


def unprobed(all_reads: list[Read]) -> list[str]:
    """GET operations of the contracts that no read covers and that are not reference data."""
    covered = {(r.service, r.path) for r in all_reads}
    return [
        f"{svc} GET {path}"
        for svc in ("staffing", "procurement", "evaluation")
        for method, path in operations(svc)
        if method == "GET" and (svc, path) not in covered and path not in REFERENCE
    ]


# ---- sentinels ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentinel:
    text: str
    what: str
    bidder: str | None = None  # the contractor it belongs to (a bidder sees its own)
    public: bool = False  # anyone may see it (the winner's price after the award)
    personal: bool = False  # natural-person data: SEES_PERSONAL roles anywhere, and the contractor itself
    identity: bool = False  # a bidder's name/code before the award: never a concern in the registry
    expert: bool = False  # a review expert's name: the managers of its pool only (expert/policy.py)
    sealed: bool = False  # a bid not yet opened: its bidder alone sees it, nobody else at all


def sentinels() -> list[Sentinel]:
    out = [
        Sentinel(PERSON_NAME, "X's legal representative (full name)", X, personal=True),
        Sentinel(PERSON_PHONE, "X's contact phone (full)", X, personal=True),
        Sentinel(EXPERT_NAME, "a review expert's name (full)", expert=True),
    ]
    for state, prices in PRICES.items():
        for code, price in prices.items():
            won = state == "awarded" and code == W
            who = "the winner" if won else NAMES[code]
            out.append(
                Sentinel(
                    price,
                    f"bid price of {who} ({state} project)",
                    code,
                    public=won,
                    sealed=state == "bidding",
                )
            )
    for code, mark in SCORES.items():
        out.append(Sentinel(mark, f"panel score of {NAMES[code]}'s bid (project in scoring)", code))
    for code in (X, Y):  # they bid only on projects not yet awarded
        out.append(
            Sentinel(NAMES[code], f"bidder identity {NAMES[code]} (not yet awarded)", code, identity=True)
        )
        out.append(Sentinel(code, f"bidder identity {code} (not yet awarded)", code, identity=True))
    return out


def may_see(s: Sentinel, who: Principal, read: Read) -> bool:
    if s.public:
        return True
    if who.role is None:
        return False
    if s.expert:  # bureau and finance covering Lingwu's pool manage it; admin anywhere
        return who.role == "admin" or (who.role in POOL_MANAGERS and who.div in INSIDE)
    if s.personal:
        return who.role in SEES_PERSONAL or who.org == s.bidder
    if s.identity and read.registry:
        return True
    if who.org == s.bidder:
        return True
    # The opening record goes to the bidders it reads out, as they attend the opening.
    if who.role == "contractor" and who.org in read.round_bidders:
        return True
    # Sealed bids: no one but the bidder, the purchaser's side and admins included; the bidders
    # of the project in bidding are sealed identities on its reads.
    if s.sealed or (s.identity and read.tag.startswith("bidding")):
        return False
    return who.role in PURCHASER and who.div in INSIDE
