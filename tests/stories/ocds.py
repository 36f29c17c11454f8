"""OCDS as publishers are checked: every project a story (or the demo) published, read through the
gateway without a credential as a data user would, then checked with the tools OCDS publishers are
checked with, all offline (the OCDS 1.1.5 schema and codelists are vendored):

- libcoveocds (the library behind the OCDS Data Review Tool) over every release package and record
  package: 0 validation errors, 0 additional fields, 0 empty fields, no closed-codelist value it
  does not know;
- OCDS's strict schema (the release schema with ocdskit's `schema-strict` rules: no empty string,
  array or object, unique array items) over every release and compiled release;
- ocdsmerge (the reference merge): each record's compiledRelease is what merging its releases gives;
- a follow-on release always changes something OCDS shows, its date never goes back;
- the committed contract (services/procurement/openapi.json, `OcdsReleasePackage`,
  `OcdsRecordPackage`) types every package as it is sent, so generated clients can rely on it;
- the bulk package of a period holds exactly the releases of the per-project packages, and each
  package's `uri` is the public route that serves it.

Every story runs it on its way out (`story()` in this package); tests/test_demo.py runs it over
the demo's data (13 published projects).
"""

from __future__ import annotations

import io
import itertools
import json
import warnings
import zipfile
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OCDS = Path(__file__).resolve().parents[2] / "services/procurement/tests/data/ocds-1.1.5"  # see its README.md
CONTRACT = Path(__file__).resolve().parents[2] / "services/procurement/openapi.json"
TAG = "1__1__5"


def _standard_zip() -> bytes:
    """The vendored schema and codelists laid out as the standard's release archive, which
    libcoveocds reads through ocdsextensionregistry (`standard_zip`) instead of downloading it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"standard-{TAG}/", "")
        for p in sorted(OCDS.glob("*.json")):
            z.write(p, f"standard-{TAG}/schema/{p.name}")
        for p in sorted((OCDS / "codelists").glob("*.csv")):
            z.write(p, f"standard-{TAG}/schema/codelists/{p.name}")
    return buf.getvalue()


def _schemas() -> dict[str, Any]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in OCDS.glob("*-schema.json")}


def strict_validators() -> dict[str, Draft4Validator]:
    """The release and package schemas made strict as `ocdskit schema-strict` does (minItems,
    uniqueItems, minProperties, minLength where no enum/format/pattern), resolved locally."""
    from ocdskit.schema import add_validation_properties

    docs = _schemas()
    for doc in docs.values():
        add_validation_properties(doc)
    registry: Registry = Registry().with_resources(
        (doc["id"], Resource.from_contents(doc, default_specification=DRAFT4)) for doc in docs.values()
    )
    return {name: Draft4Validator(doc, registry=registry) for name, doc in docs.items()}


def contract_validators() -> dict[str, Draft202012Validator]:
    """The committed contract's package schemas (what generated clients are built from)."""
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    return {
        name: Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})
        for name in ("OcdsReleasePackage", "OcdsRecordPackage")
    }


class _Offline:
    """What jsonref fetches while libcoveocds dereferences the record package schema (the versioned
    release schema, by its public URL), answered from the vendored copy: no network in the suite."""

    class Response:
        def __init__(self, doc: Any) -> None:
            self.doc = doc

        def raise_for_status(self) -> None:
            return None

        def json(self, **_: Any) -> Any:
            return self.doc

    def get(self, uri: str, **_: Any) -> Response:
        prefix = f"https://standard.open-contracting.org/schema/{TAG}/"
        assert uri.startswith(prefix), f"no network in the suite: {uri}"
        return self.Response(json.loads((OCDS / uri[len(prefix) :]).read_text(encoding="utf-8")))


@dataclass
class Figures:
    """What the tools found, summed over every package checked."""

    projects: int = 0
    packages: int = 0
    releases: int = 0
    validation_errors: list[str] = field(default_factory=list)
    additional_fields: list[str] = field(default_factory=list)
    empty_fields: list[str] = field(default_factory=list)
    closed_codelist_values: list[str] = field(default_factory=list)
    open_codelist_values: Counter[str] = field(default_factory=Counter)
    strict_errors: list[str] = field(default_factory=list)
    merge_mismatches: list[str] = field(default_factory=list)
    contract_errors: list[str] = field(default_factory=list)
    unchanged_releases: list[str] = field(default_factory=list)
    dates_backwards: list[str] = field(default_factory=list)
    links: set[tuple[str, str, str]] = field(default_factory=set)  # (ocid, relationship, ocid)

    def line(self) -> str:
        return (
            f"{self.projects} projects, {self.packages} packages, {self.releases} releases: "
            f"libcoveocds {len(self.validation_errors)} validation errors, "
            f"{len(self.additional_fields)} additional fields, {len(self.empty_fields)} empty fields, "
            f"{len(self.closed_codelist_values)} closed-codelist values; "
            f"strict schema {len(self.strict_errors)} errors; "
            f"ocdsmerge {len(self.merge_mismatches)} compiled releases differ; "
            f"contract {len(self.contract_errors)} errors; "
            f"{len(self.unchanged_releases)} releases change nothing; "
            f"{len(self.dates_backwards)} dates go back; open-codelist values {dict(self.open_codelist_values)}"
        )


class Checker:
    def __init__(self) -> None:
        from libcoveocds.config import LibCoveOCDSConfig
        from ocdsmerge import Merger

        self.config = LibCoveOCDSConfig({"context": "api", "standard_zip": _standard_zip()})
        self.strict = strict_validators()
        self.contract = contract_validators()
        self.merger = Merger(schema=_schemas()["release-schema.json"])
        self.figures = Figures()

    def cove(self, what: str, package: dict[str, Any]) -> None:
        import jsonref
        from libcoveocds.api import ocds_json_output

        f = self.figures
        with warnings.catch_warnings(), patch.object(jsonref, "requests", _Offline()):
            warnings.simplefilter("ignore")  # the libraries' own deprecation notices
            out = ocds_json_output(json_data=deepcopy(package), lib_cove_ocds_config=self.config)
        f.packages += 1
        f.validation_errors += [f"{what}: {e}"[:300] for e in out["validation_errors"]]
        f.additional_fields += [f"{what}: {a['path']}/{a['field']}" for a in out["additional_fields"]]
        f.empty_fields += [
            f"{what}: {e['json_location']}" for e in out["additional_checks"].get("empty_field", [])
        ]
        for path, v in out["additional_closed_codelist_values"].items():
            f.closed_codelist_values += [f"{what}: {path}={x}" for x in v["values"]]
        for path, v in out["additional_open_codelist_values"].items():
            for x in v["values"]:
                f.open_codelist_values[f"{path}={x}"] += 1

    def strict_schema(self, what: str, name: str, doc: dict[str, Any]) -> None:
        for e in self.strict[name].iter_errors(doc):
            self.figures.strict_errors.append(f"{what}: /{'/'.join(map(str, e.absolute_path))} {e.message}")
        typed = "OcdsRecordPackage" if "records" in doc else "OcdsReleasePackage"
        for e in self.contract[typed].iter_errors(doc):
            self.figures.contract_errors.append(f"{what}: /{'/'.join(map(str, e.absolute_path))} {e.message}")

    def project(self, pid: str, releases_pkg: dict[str, Any], records_pkg: dict[str, Any]) -> None:
        f = self.figures
        f.projects += 1
        self.cove(f"releases/{pid}", releases_pkg)
        self.cove(f"records/{pid}", records_pkg)
        self.strict_schema(f"releases/{pid}", "release-package-schema.json", releases_pkg)
        self.strict_schema(f"records/{pid}", "record-package-schema.json", records_pkg)
        releases = releases_pkg["releases"]
        f.releases += len(releases)
        (record,) = records_pkg["records"]
        assert record["releases"] == releases, (
            f"{pid}: the record embeds other releases than the package",
            next(((x, y) for x, y in zip(record["releases"], releases, strict=False) if x != y), None),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a duplicate id in an array would be merged wrongly
            merged = self.merger.create_compiled_release(deepcopy(releases))
        for link in record["compiledRelease"].get("relatedProcesses", []):
            for rel in link["relationship"]:
                f.links.add((record["ocid"], rel, link["identifier"]))
        if merged != record["compiledRelease"]:
            f.merge_mismatches.append(f"{pid}: {_first_difference(merged, record['compiledRelease'])}")
        for before, after in zip(releases, releases[1:], strict=False):
            if _visible(before) == _visible(after):
                f.unchanged_releases.append(f"{pid}: {after['id']} {after['tag']}")
            if after["date"] < before["date"]:
                f.dates_backwards.append(f"{pid}: {after['id']} {after['date']} < {before['date']}")


def _visible(release: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in release.items() if k not in ("id", "date", "tag")}


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}/{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}/{i}")
    return f"{path}: merged {json.dumps(a, ensure_ascii=False)[:200]} ≠ {json.dumps(b, ensure_ascii=False)[:200]}"


def _served_at_its_uri(c: httpx.Client, gateway: str, package: dict[str, Any], key: str) -> None:
    """A package's `uri` is the public route that serves it (the suite's gateway, no credential)."""
    uri = package["uri"]
    assert uri.startswith(f"{gateway}/api/procurement/ocds/"), uri
    again = c.get(uri)
    assert again.status_code == 200, (uri, again.text)
    assert again.json()[key] == package[key], uri


def _period(c: httpx.Client, checker: Checker) -> list[dict[str, Any]]:
    """The bulk package of all time, page after page (`Link: rel="next"`), each page checked too."""
    out: list[dict[str, Any]] = []
    url: str | None = "/api/procurement/ocds/releases/period?from=2000-01-01&to=2100-12-31&limit=40"
    while url is not None:
        r = c.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        if not page["releases"]:  # nothing published: an empty page, not an OCDS package to check
            assert r.headers["X-Total-Count"] == "0" and not out, r.headers
            break
        checker.cove("releases/period", page)
        checker.strict_schema("releases/period", "release-package-schema.json", page)
        _served_at_its_uri(c, str(c.base_url).rstrip("/"), page, "releases")
        out += page["releases"]
        assert int(r.headers["X-Total-Count"]) >= len(out)
        nxt = r.links.get("next")
        url = nxt["url"] if nxt else None
    return out


_visitors = itertools.count()


def _as_a_new_visitor(request: httpx.Request) -> None:
    """Each public read comes from another portal visitor (the gateway trusts X-Forwarded-For from
    loopback), so the check — hundreds of anonymous reads at the end of every story — is not
    throttled by the public rate limit the stories themselves rely on."""
    n = next(_visitors)
    request.headers["X-Forwarded-For"] = f"203.0.{113 + n // 250 % 100}.{n % 250 + 1}"


def check_published(gateway: str, admin: dict[str, str]) -> Figures:
    """Every project an administrator can list, read as the public reads OCDS (no credential)."""
    checker = Checker()
    published: list[dict[str, Any]] = []
    with httpx.Client(base_url=gateway, timeout=30, event_hooks={"request": [_as_a_new_visitor]}) as c:
        r = c.get("/api/procurement/projects", params={"limit": 200}, headers=admin)
        assert r.status_code == 200, r.text
        projects = r.json()["items"]
        assert len(projects) < 200
        for p in projects:
            pid = p["id"]
            rel = c.get(f"/api/procurement/ocds/releases/{pid}")
            rec = c.get(f"/api/procurement/ocds/records/{pid}")
            if p["announced_on"] is None:  # never announced: not published, in any form
                assert rel.status_code == rec.status_code == 404, (pid, rel.text)
                continue
            assert rel.status_code == rec.status_code == 200, (pid, rel.text, rec.text)
            checker.project(pid, rel.json(), rec.json())
            _served_at_its_uri(c, gateway, rel.json(), "releases")
            _served_at_its_uri(c, gateway, rec.json(), "records")
            published += rel.json()["releases"]
        bulk = _period(c, checker)
    assert sorted(bulk, key=lambda x: x["id"]) == sorted(published, key=lambda x: x["id"])
    # A taken-over project names its re-procurement, which names it back once published.
    ocids = {x["ocid"] for x in published}
    for a, rel, b in checker.figures.links:
        if rel == "replacementProcess" and b in ocids:
            assert (b, "prior", a) in checker.figures.links, (a, b)
        if rel == "prior":
            assert (b, "replacementProcess", a) in checker.figures.links, (a, b)
    assert [x["date"] for x in bulk] == sorted(x["date"] for x in bulk)
    return checker.figures


def assert_clean(f: Figures) -> None:
    print(f.line())
    assert f.validation_errors == [], f.validation_errors[:10]
    assert f.additional_fields == [], f.additional_fields[:10]
    assert f.empty_fields == [], f.empty_fields[:10]
    assert f.closed_codelist_values == [], f.closed_codelist_values[:10]
    assert f.strict_errors == [], f.strict_errors[:10]
    assert f.merge_mismatches == [], f.merge_mismatches[:10]
    assert f.contract_errors == [], f.contract_errors[:10]
    assert f.unchanged_releases == [], f.unchanged_releases[:10]
    assert f.dates_backwards == [], f.dates_backwards[:10]
