"""A synthetic national input (every GB/T 2260 county, ~39,000 townships) for benches and tests."""

from __future__ import annotations

import random
from typing import Any

from jiuzhu_staffing.regions.known import known

NATIONAL_TOWNSHIPS = 39_000


def national_counties(seed: int = 2850, townships: int = NATIONAL_TOWNSHIPS) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    codes = known().counties()
    base, extra = divmod(townships, len(codes))
    out = []
    for i, code in enumerate(codes):
        n = base + (1 if i < extra else 0)
        out.append(
            {
                "division_code": code,
                "townships": [
                    {
                        "name": f"{code}-{j:03d}",
                        "kind": "street_office" if j % 5 == 0 else "township",
                        "assisted_households": rng.randint(0, 1200),
                        "registered_population": rng.randint(3000, 90000),
                        "administrative_villages": rng.randint(0, 25),
                        "urban_communities": rng.randint(0, 8),
                    }
                    for j in range(n)
                ],
            }
        )
    return out
