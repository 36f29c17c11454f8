"""`python -m jiuzhu_devtools.demo`: start like `make run`, load the demo, print tokens and requests."""

from __future__ import annotations

from jiuzhu_devtools import run
from jiuzhu_devtools.demo import Loaded, load
from jiuzhu_devtools.demo.api import Persona, token
from jiuzhu_kit.settings import KitSettings

PERSONAS = [
    ("灵武市民政局 (bureau 640181)", Persona("bureau", "640181")),
    ("荔湾区民政局, 广州 (bureau 440103)", Persona("bureau", "440103")),
    ("新罗区财政局 (finance 350802)", Persona("finance", "350802")),
    ("上海市审计局 (auditor 310000)", Persona("auditor", "310000")),
    ("门户 e 龙岩 (portal 350800)", Persona("portal", "350800", name="demo-portal-350800")),
]


def show(base: str, loaded: Loaded) -> None:
    settings = KitSettings()
    lingwu = loaded.places["灵武市 640181 (seed 002)"]
    company = lingwu["contractor"]
    personas = [
        *PERSONAS,
        (
            f"灵武市国有劳务派遣有限公司 (contractor, USCC {company})",
            Persona("contractor", "640181", company),
        ),
    ]
    print(f"\n{loaded.summary()}\n")
    print("tokens (8 h; paste one into /docs → Authorize):")
    for label, p in personas:
        print(f"  {label}\n    {token(settings, p)}")
    tok = token(settings, Persona("bureau", "640181"))
    contract = lingwu["contract"]
    round_id = lingwu["rounds"][0]
    print(
        f"""
try:
  T={tok}
  curl -s -H "Authorization: Bearer $T" '{base}/api/procurement/projects?limit=5'
  curl -s -H "Authorization: Bearer $T" {base}/api/procurement/contracts/{contract}
  curl -s -H "Authorization: Bearer $T" {base}/api/evaluation/rounds/{round_id}
  curl -s -H "Authorization: Bearer $T" {base}/api/staffing/scenarios/{lingwu["scenario"]}
  curl -s {base}/api/public/procurement/debarments
  curl -s '{base}/api/public/procurement/announcements?division_code=350802'
  curl -s {base}/api/public/procurement/who-serves/350802106201
  curl -s '{base}/api/public/procurement/catalogue?division_code=350802'
docs: {base}/docs   (Ctrl-C stops everything; the data stays)
""",
        flush=True,
    )


def after_ready(base: str) -> None:
    print("loading the demo data through the gateway …", flush=True)
    loaded = load(base)
    show(base, loaded)


def main() -> None:
    run.main(after_ready=after_ready)


if __name__ == "__main__":
    main()
