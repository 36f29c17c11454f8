"""Static checks of deploy/k8s (Kubernetes manifests, kustomize overlays) and deploy/grafana.

No cluster, kubectl, kustomize or helm: the overlays are rendered here (the few kustomize features
they use: resources, namespace, images, JSON 6902 patches, an unhashed configMapGenerator; any other
field fails the test), then every object is validated against the Kubernetes OpenAPI schemas that
kubernetes-validate ships (strict: unknown fields fail), for the oldest and the newest Kubernetes
version we claim. The CloudNativePG `Cluster` is a custom resource kubernetes-validate does not know:
it is checked against the subset of its CRD schema we use (written here from the operator's CRD,
postgresql.cnpg.io/v1 as of CloudNativePG 1.30). Then the invariants: probes, resources, non-root,
read-only root filesystem, a PDB and an HPA per Deployment, the NetworkPolicies evaluated as a CNI
would, env names the settings classes actually read, the connection budget, no real-looking secret.
The init container's wait script runs against the test Postgres with the migrate image's command.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from kubernetes_validate.utils import all_versions, latest_version, major_minor

from jiuzhu_evaluation.settings import Settings as EvaluationSettings
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.settings import PLACEHOLDER_SECRETS, KitSettings
from jiuzhu_procurement.settings import Settings as ProcurementSettings
from jiuzhu_staffing.settings import Settings as StaffingSettings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "jiuzhu-dashboard.json"
WAIT_SCRIPT = BASE / "wait_for_schema.py"

# The oldest Kubernetes the manifests claim (autoscaling/v2, policy/v1 with
# unhealthyPodEvictionPolicy, networking.k8s.io/v1) and the newest kubernetes-validate ships.
K8S_VERSIONS = ("1.30", major_minor(latest_version()))

COMPONENTS: dict[str, type[KitSettings]] = {
    "gateway": GatewaySettings,
    "staffing-calc": StaffingSettings,
    "procurement": ProcurementSettings,
    "evaluation": EvaluationSettings,
}
SERVICES = set(COMPONENTS) - {"gateway"}
CLUSTER = "jiuzhu-pg"
# The Secret the operator creates for the database owner (pkg/specs/secrets.go): these keys, `uri`
# on the read-write Service <cluster>-rw.
CNPG_APP_SECRET_KEYS = {
    "username",
    "password",
    "host",
    "port",
    "dbname",
    "uri",
    "jdbc-uri",
    "fqdn-uri",
    "fqdn-jdbc-uri",
    "pgpass",
}
INGRESS_CONTROLLER_NS = "ingress-nginx"
OPERATOR_NS = "cnpg-system"
MONITORING_NS = "monitoring"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


# ---- a kustomize subset -------------------------------------------------------------------------

KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "images",
    "patches",
    "configMapGenerator",
    "generatorOptions",
}


def _pointer(path: str) -> list[str]:
    assert path.startswith("/"), path
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> None:
    """RFC 6902 add / replace / remove, as kustomize applies a `patches:` entry in JSON 6902 form."""
    for op in ops:
        *parents, last = _pointer(op["path"])
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        kind = op["op"]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if kind == "add":
                node.insert(index, copy.deepcopy(op["value"]))
            elif kind == "replace":
                node[index] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[index]
            else:
                raise AssertionError(f"unsupported patch op {kind}")
        else:
            if kind in ("replace", "remove"):
                assert last in node, f"{op['path']}: nothing to {kind}"
            if kind in ("add", "replace"):
                node[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[last]
            else:
                raise AssertionError(f"unsupported patch op {kind}")


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        spec: dict[str, Any] = doc["spec"]["template"]["spec"]
        return spec
    return None


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(doc)
    return [*spec.get("initContainers", []), *spec["containers"]] if spec else []


def _split_image(image: str) -> tuple[str, str]:
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return name, tag


def render(path: Path) -> list[dict[str, Any]]:
    """What `kustomize build path` gives for the features our kustomizations use."""
    k = yaml.safe_load((path / "kustomization.yaml").read_text(encoding="utf-8"))
    assert set(k) <= KUSTOMIZATION_FIELDS, f"{path}: teach this renderer {set(k) - KUSTOMIZATION_FIELDS}"
    docs: list[dict[str, Any]] = []
    for res in k.get("resources", []):
        target = path / res
        if target.is_dir():
            docs += render(target)
        else:
            docs += [d for d in yaml.safe_load_all(target.read_text(encoding="utf-8")) if d]
    options = k.get("generatorOptions", {})
    for gen in k.get("configMapGenerator", []):
        assert set(gen) <= {"name", "files"} and options.get("disableNameSuffixHash") is True
        meta: dict[str, Any] = {"name": gen["name"]}
        if options.get("labels"):
            meta["labels"] = dict(options["labels"])
        data = {Path(f).name: (path / f).read_text(encoding="utf-8") for f in gen["files"]}
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    for patch in k.get("patches", []):
        target = patch["target"]
        assert set(target) <= {"kind", "name"} and set(patch) == {"target", "patch"}
        hits = [
            d
            for d in docs
            if d["kind"] == target.get("kind", d["kind"])
            and d["metadata"]["name"] == target.get("name", d["metadata"]["name"])
        ]
        assert hits, f"{path}: patch target {target} matches nothing"
        for d in hits:
            json_patch(d, yaml.safe_load(patch["patch"]))
    if "namespace" in k:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = k["namespace"]
    for img in k.get("images", []):
        assert set(img) <= {"name", "newName", "newTag"}
        used = False
        for d in docs:
            for c in containers(d):
                name, tag = _split_image(c["image"])
                if name == img["name"]:
                    used = True
                    c["image"] = f"{img.get('newName', name)}:{img.get('newTag', tag)}".rstrip(":")
        assert used, f"{path}: image {img['name']} is not used"
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


RENDERS = {p.name: render(p) for p in [BASE, *OVERLAYS]}
ALL_DOCS = [(name, d) for name, docs in RENDERS.items() for d in docs]


def _ids(item: tuple[str, dict[str, Any]]) -> str:
    return f"{item[0]}:{item[1]['kind']}/{item[1]['metadata']['name']}"


def test_there_are_overlays_and_they_render() -> None:
    assert {p.name for p in OVERLAYS} >= {"production", "staging"}
    base = RENDERS["base"]
    assert set(by_kind(base, "Deployment")) == set(COMPONENTS)
    for name in RENDERS:
        assert len(RENDERS[name]) == len(base), f"{name} adds or drops objects"


def test_renderer_applies_json_patches_like_kustomize() -> None:
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    json_patch(
        doc,
        [
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "remove", "path": "/a/b/0"},
        ],
    )
    assert doc == {"a": {"b": [2, 3]}, "c": "y"}
    with pytest.raises(AssertionError):
        json_patch(doc, [{"op": "replace", "path": "/missing", "value": 1}])


# ---- the Kubernetes schemas ---------------------------------------------------------------------


def _kube_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    yield from ((n, d) for n, d in ALL_DOCS if not d["apiVersion"].startswith("postgresql.cnpg.io/"))
    for d in yaml.safe_load_all(SECRETS_EXAMPLE.read_text(encoding="utf-8")):
        yield "secrets.example", d


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("item", list(_kube_objects()), ids=_ids)
def test_manifest_validates_against_kubernetes_schema(item: tuple[str, dict[str, Any]], version: str) -> None:
    kubernetes_validate.validate(item[1], version, strict=True)


def test_schema_validation_catches_mistakes() -> None:
    deployment = copy.deepcopy(by_kind(RENDERS["base"], "Deployment")["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)
    hpa = copy.deepcopy(by_kind(RENDERS["base"], "HorizontalPodAutoscaler")["gateway"])
    hpa["spec"]["minReplicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, K8S_VERSIONS[0], strict=True)


def test_schemas_ship_with_the_package() -> None:
    """kubernetes-validate reads its bundled schemas: nothing is fetched at test time."""
    assert {major_minor(v) for v in all_versions()} >= set(K8S_VERSIONS)
    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    assert (folder / f"v{K8S_VERSIONS[0]}.0-local-strict" / "deployment-apps-v1.json").is_file()


# The fields of postgresql.cnpg.io/v1 Cluster we use, with their types from the operator's CRD;
# `additionalProperties: false` where we write fields, so a typo is caught as kubernetes-validate's
# strict mode would.
_QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
_RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "requests": {"type": "object", "additionalProperties": _QUANTITY},
        "limits": {"type": "object", "additionalProperties": _QUANTITY},
    },
}
_STORAGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"size": {"type": "string"}, "storageClass": {"type": "string"}},
}
CNPG_CLUSTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"},
        "kind": {"const": "Cluster"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["instances"],
            "additionalProperties": False,
            "properties": {
                "description": {"type": "string"},
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "enableSuperuserAccess": {"type": "boolean"},
                "enablePDB": {"type": "boolean"},
                "bootstrap": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "initdb": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "database": {"type": "string"},
                                "owner": {"type": "string"},
                                "secret": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}},
                                },
                            },
                        }
                    },
                },
                "postgresql": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                        "synchronous": {
                            "type": "object",
                            "required": ["method", "number"],
                            "additionalProperties": False,
                            "properties": {
                                "method": {"enum": ["any", "first"]},
                                "number": {"type": "integer", "minimum": 1},
                                "dataDurability": {"enum": ["required", "preferred"]},
                            },
                        },
                    },
                },
                "affinity": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "enablePodAntiAffinity": {"type": "boolean"},
                        "podAntiAffinityType": {"enum": ["preferred", "required"]},
                        "topologyKey": {"type": "string"},
                    },
                },
                "resources": _RESOURCES,
                "storage": _STORAGE,
                "walStorage": _STORAGE,
            },
        },
    },
}


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_postgres_is_a_three_instance_cloudnativepg_cluster(render_name: str) -> None:
    clusters = by_kind(RENDERS[render_name], "Cluster")
    assert set(clusters) == {CLUSTER}
    cluster = clusters[CLUSTER]
    jsonschema.validate(cluster, CNPG_CLUSTER_SCHEMA)
    spec = cluster["spec"]
    assert spec["instances"] == 3  # one primary, two standbys
    assert spec["postgresql"]["synchronous"]["number"] >= 1  # a commit is on two nodes
    assert spec["affinity"] == {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    assert spec["bootstrap"]["initdb"] == {"database": "jiuzhu", "owner": "jiuzhu"}  # operator-made secret
    assert spec["enableSuperuserAccess"] is False
    assert spec["resources"]["requests"] == spec["resources"]["limits"]  # Guaranteed QoS
    assert "16" in spec["imageName"].rsplit(":", 1)[1]  # the major version docker-compose runs


def test_cluster_schema_catches_a_typo() -> None:
    cluster = copy.deepcopy(by_kind(RENDERS["base"], "Cluster")[CLUSTER])
    cluster["spec"]["instance"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cluster, CNPG_CLUSTER_SCHEMA)


# ---- invariants of every workload ---------------------------------------------------------------


def _dockerfile(component: str) -> DockerfileParser:
    return DockerfileParser(path=str(ROOT / "deploy" / f"{component}.Dockerfile"))


def _cmd(component: str) -> list[str]:
    cmd = [i["value"] for i in _dockerfile(component).structure if i["instruction"] == "CMD"][-1]
    return list(json.loads(cmd))


def _user(component: str) -> int:
    return int([i["value"] for i in _dockerfile(component).structure if i["instruction"] == "USER"][-1])


def _port(component: str) -> int:
    cmd = _cmd(component)
    return int(cmd[cmd.index("--port") + 1])


def _package(component: str) -> str:
    cmd = _cmd(component)
    return cmd[cmd.index("--factory") + 1].split(".")[0]


def _secure(c: dict[str, Any]) -> None:
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    # No exception was needed: every container writes only to its /tmp emptyDir.
    assert sc["readOnlyRootFilesystem"] is True
    assert any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])), c["name"]


def _resources(c: dict[str, Any]) -> None:
    res = c["resources"]
    assert set(res["requests"]) == set(res["limits"]) == {"cpu", "memory"}, c["name"]
    assert _bytes(res["requests"]["memory"]) <= _bytes(res["limits"]["memory"])
    assert _cores(res["requests"]["cpu"]) <= _cores(res["limits"]["cpu"])


def _bytes(q: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return int(q[:-2]) * units[q[-2:]] if q[-2:] in units else int(q)


def _cores(q: str) -> float:
    return int(q[:-1]) / 1000 if q.endswith("m") else float(q)


def _pod_security(doc: dict[str, Any], uid: int) -> None:
    spec = pod_spec(doc)
    assert spec is not None
    psc = spec["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] == uid
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for c in containers(doc):
        for m in c.get("volumeMounts", []):
            assert m["name"] in volumes
    assert "emptyDir" in volumes["tmp"]


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_every_deployment_is_probed_limited_unprivileged_and_read_only(render_name: str) -> None:
    docs = RENDERS[render_name]
    for name, dep in by_kind(docs, "Deployment").items():
        _pod_security(dep, _user(name))
        assert "replicas" not in dep["spec"], "the HPA owns the replica count"
        assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        spec = pod_spec(dep)
        assert spec is not None
        (app,) = spec["containers"]
        port = _port(name)
        assert app["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert app["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        # /readyz waits up to 2 s for the database (the gateway: asks the services, then its store).
        assert app["readinessProbe"]["timeoutSeconds"] >= (5 if name == "gateway" else 3)
        assert "command" not in app and "args" not in app  # the Dockerfile's CMD: uvicorn
        env = {e["name"]: e.get("value") for e in app.get("env", [])}
        if name in SERVICES:  # two workers per pod, their metrics summed through an emptyDir
            assert int(env["WEB_CONCURRENCY"]) >= 2
            (mount,) = [m for m in app["volumeMounts"] if m["mountPath"] == env["PROMETHEUS_MULTIPROC_DIR"]]
            volumes = {v["name"]: v for v in spec["volumes"]}
            assert "emptyDir" in volumes[mount["name"]]
            assert _cores(app["resources"]["limits"]["cpu"]) >= int(env["WEB_CONCURRENCY"])
        else:  # the gateway: one process (its local rate-limit fast path and caches are per process)
            assert "WEB_CONCURRENCY" not in env
        for c in containers(dep):
            _secure(c)
            _resources(c)
        # Only the app container serves; an init container runs to completion (no probes there).
        (wait,) = spec["initContainers"]
        assert wait["image"] == app["image"]
        assert wait["command"] == ["python", "/opt/jiuzhu/wait_for_schema.py", _package(name)]


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_images_are_the_dockerfiles_and_overlays_pin_tags(render_name: str) -> None:
    for d in RENDERS[render_name]:
        for c in containers(d):
            name, tag = _split_image(c["image"])
            component = name.rsplit("/", 1)[-1]
            assert (ROOT / "deploy" / f"{component}.Dockerfile").is_file(), c["image"]
            if render_name != "base":
                assert "/" in name.split("jiuzhu/")[0] or name.count("/") >= 2, "an overlay names a registry"
                assert tag and tag != "latest", c["image"]


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_the_migration_job_runs_the_migrate_image_before_the_pods_start(render_name: str) -> None:
    docs = RENDERS[render_name]
    (job,) = by_kind(docs, "Job").values()
    _pod_security(job, _user("migrate"))
    spec = pod_spec(job)
    assert spec is not None and spec["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 6  # rides out the Cluster's first start
    (c,) = spec["containers"]
    assert _split_image(c["image"])[0].endswith("jiuzhu/migrate")
    assert "command" not in c and "args" not in c  # the image's CMD migrates every schema
    _secure(c)
    _resources(c)
    # Every pod of every Deployment waits for its schema: the script the ConfigMap mounts.
    (cm,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "jiuzhu-wait-for-schema"
    ]
    assert cm["data"]["wait_for_schema.py"] == WAIT_SCRIPT.read_text(encoding="utf-8")


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_every_deployment_has_a_service_an_hpa_and_a_pdb(render_name: str) -> None:
    docs = RENDERS[render_name]
    services, hpas, pdbs = (
        by_kind(docs, "Service"),
        by_kind(docs, "HorizontalPodAutoscaler"),
        by_kind(docs, "PodDisruptionBudget"),
    )
    for name, dep in by_kind(docs, "Deployment").items():
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert _matches(dep["spec"]["selector"], labels)
        svc = services[name]
        assert svc["spec"]["selector"].items() <= labels.items()
        assert svc["spec"]["ports"] == [
            {"name": "http", "port": _port(name), "targetPort": "http", "protocol": "TCP"}
        ]
        (hpa,) = [
            h
            for h in hpas.values()
            if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        (pdb,) = [p for p in pdbs.values() if _matches(p["spec"]["selector"], labels)]
        assert pdb["spec"]["maxUnavailable"] == 1  # with ≥ 2 replicas, one always serves


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions) against a set of labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


# ---- configuration: the names the code reads ----------------------------------------------------


# Read by the process outside the settings: uvicorn (its worker count) and prometheus_client.
PROCESS_ENV = frozenset({"WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"})


def _env_names(cls: type[KitSettings]) -> set[str]:
    from pydantic import AliasChoices

    prefix = str(cls.model_config.get("env_prefix", ""))
    names = set(PROCESS_ENV)
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            names.add(alias.upper() if isinstance(alias, str) else f"{prefix}{field_name}".upper())
    return names


def _env_of(
    docs: list[dict[str, Any]], container: dict[str, Any], secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The container's environment as the kubelet would set it (Secrets from `secrets`)."""
    maps = by_kind(docs, "ConfigMap")
    env: dict[str, str] = {}
    for src in container.get("envFrom", []):
        env.update(maps[src["configMapRef"]["name"]]["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var["valueFrom"]:
            ref = var["valueFrom"]["secretKeyRef"]
            if ref["key"] in secrets.get(ref["name"], {}):
                env[var["name"]] = secrets[ref["name"]][ref["key"]]
            else:
                assert ref.get("optional") is True, f"{var['name']}: {ref} is missing"
        else:
            raise AssertionError(f"unexpected env source {var}")
    return env


def _example_secrets() -> dict[str, dict[str, str]]:
    return {
        d["metadata"]["name"]: dict(d["stringData"])
        for d in yaml.safe_load_all(SECRETS_EXAMPLE.read_text(encoding="utf-8"))
    }


def _real_secrets() -> dict[str, dict[str, str]]:
    """What an operator would create: the templates' keys with real values, and the CNPG app secret."""
    real = {
        "JWT_PUBLIC_KEY": "",
        "PROCUREMENT_BID_KEYS_PREVIOUS": "",
        "PROCUREMENT_BID_KEY": "a2V5" * 10 + "a2U=",
        "PROCUREMENT_PERSONAL_DATA_KEY": "cGRr" * 10 + "cGQ=",  # 32 bytes
        **{f"{s}_TRANSPARENCY_KEY": "dGxr" * 10 + "dGw=" for s in ("STAFFING", "PROCUREMENT", "EVALUATION")},
    }
    out = {name: {k: real.get(k, "r" * 48) for k in data} for name, data in _example_secrets().items()}
    out[f"{CLUSTER}-app"] = {"uri": f"postgresql://jiuzhu:{'p' * 64}@{CLUSTER}-rw.jiuzhu:5432/jiuzhu"}
    return out


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_every_variable_is_one_the_component_reads(render_name: str) -> None:
    docs = RENDERS[render_name]
    shared = by_kind(docs, "ConfigMap")["jiuzhu-env"]["data"]
    read_by_someone = set().union(*(_env_names(cls) for cls in COMPONENTS.values()))
    assert set(shared) <= read_by_someone, f"nobody reads {set(shared) - read_by_someone}"
    for name, dep in by_kind(docs, "Deployment").items():
        spec = pod_spec(dep)
        assert spec is not None
        own = {v["name"] for v in spec["containers"][0].get("env", [])}
        assert own <= _env_names(COMPONENTS[name]), (
            f"{name} does not read {own - _env_names(COMPONENTS[name])}"
        )


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_settings_load_in_prod_with_real_secrets_and_refuse_the_templates(render_name: str) -> None:
    docs = RENDERS[render_name]
    services = by_kind(docs, "Service")
    for name, dep in by_kind(docs, "Deployment").items():
        spec = pod_spec(dep)
        assert spec is not None
        env = _env_of(docs, spec["containers"][0], _real_secrets())
        settings = _settings(COMPONENTS[name], env)
        assert settings.environment == "prod"
        # The database is the Cluster's read-write Service, through the operator's Secret.
        assert urlsplit(settings.database_url).hostname == f"{CLUSTER}-rw.jiuzhu"
        ref = next(v for v in spec["containers"][0]["env"] if v["name"] == "DATABASE_URL")["valueFrom"][
            "secretKeyRef"
        ]
        assert ref == {"name": f"{CLUSTER}-app", "key": "uri"}
        # Every service URL it is given names a Service on its port.
        for key, value in env.items():
            if key.endswith(("_SERVICE_URL",)) or key.startswith("GATEWAY_UPSTREAM_"):
                url = urlsplit(value)
                assert url.hostname in services, f"{key}={value}"
                assert url.port == services[url.hostname]["spec"]["ports"][0]["port"]
        # Unedited templates do not start in prod.
        with pytest.raises(ValueError, match="JWT_SECRET"):
            _settings(
                COMPONENTS[name],
                {**env, **_env_of(docs, spec["containers"][0], {**_real_secrets(), **_example_secrets()})},
            )


def _settings(cls: type[KitSettings], env: dict[str, str]) -> KitSettings:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return cls()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _keeps_documents(component: str) -> bool:
    """Whether the component's app keeps a document store (it starts the store's sweeper)."""
    spec = importlib.util.find_spec(f"{COMPONENTS[component].__module__.rsplit('.', 1)[0]}.app")
    assert spec is not None and spec.origin is not None
    return "sweep.start(" in Path(spec.origin).read_text(encoding="utf-8")


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_documents_are_kept_in_the_object_store(render_name: str) -> None:
    """A pod's root filesystem is read-only, and its own disk would hold one replica's documents:
    every component that keeps documents is configured for the S3-compatible store, with its keys."""
    docs = RENDERS[render_name]
    keepers = [name for name in by_kind(docs, "Deployment") if _keeps_documents(name)]
    assert sorted(keepers) == ["evaluation", "procurement"]
    for name in keepers:
        spec = pod_spec(by_kind(docs, "Deployment")[name])
        assert spec is not None
        s = _settings(COMPONENTS[name], _env_of(docs, spec["containers"][0], _real_secrets()))
        assert s.documents_backend == "s3" and s.documents_s3_bucket, name
        assert s.documents_s3_access_key_id and s.documents_s3_secret_access_key, name


# Connections a worker holds outside its pools (jiuzhu_kit.db.Dedicated), by the suffix of their
# application_name (`<component>-<suffix>` in pg_stat_activity): a service's webhook LISTEN and its
# transparency publisher's advisory lock; evaluation's shared survey limiter; the documents sweep's
# advisory lock where documents are stored (every replica keeps its connection, leader or not); the
# gateway's revocation LISTEN and shared limiter. tests/test_replicas.py counts them on a live stack
# (all but the sweep, which a test process on the shared local store does not start). Leaving them
# out once let a sum pass that Postgres would refuse ("too many clients").
DEDICATED = {
    "gateway": ("listen", "ratelimit"),
    "staffing-calc": ("webhooks", "transparency"),
    "procurement": ("webhooks", "transparency", "documents-sweep"),
    "evaluation": ("webhooks", "transparency", "ratelimit", "documents-sweep"),
}


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_connections_at_max_replicas_fit_in_postgres(render_name: str) -> None:
    """Per worker: pool + overflow, plus the lean routes' write pool (up to the pool size) in a
    service, plus its dedicated connections; times the pod's uvicorn workers (WEB_CONCURRENCY). At
    every HPA's maxReplicas, with room left for the Job, init containers, the operator."""
    docs = RENDERS[render_name]
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler").values()}
    total = 0
    for name, dep in by_kind(docs, "Deployment").items():
        spec = pod_spec(dep)
        assert spec is not None
        s = _settings(COMPONENTS[name], _env_of(docs, spec["containers"][0], _real_secrets()))
        per_worker = s.db_pool_size + s.db_max_overflow + (s.db_pool_size if name in SERVICES else 0)
        per_worker += len(DEDICATED[name])
        workers = int(_env_of(docs, spec["containers"][0], _real_secrets()).get("WEB_CONCURRENCY", "1"))
        total += per_worker * workers * hpas[name]["spec"]["maxReplicas"]
    max_connections = int(
        by_kind(docs, "Cluster")[CLUSTER]["spec"]["postgresql"]["parameters"]["max_connections"]
    )
    assert total <= max_connections - 40, (
        f"{total} connections at max replicas, max_connections {max_connections}"
    )


# ---- secrets ------------------------------------------------------------------------------------

_SECRETISH = re.compile(r"(SECRET|PASSWORD|PEPPER|TOKEN|PRIVATE|_KEY)$", re.IGNORECASE)
_HIGH_ENTROPY = re.compile(r"^[A-Za-z0-9+/=_\-]{24,}$")


def test_secrets_are_templates_outside_the_kustomization() -> None:
    for name, docs in RENDERS.items():
        assert not by_kind(docs, "Secret"), f"{name}: apply would overwrite the real secrets"
    for name, data in _example_secrets().items():
        for key, value in data.items():
            assert value.strip().lower() in PLACEHOLDER_SECRETS, f"{name}.{key} looks real"
    # Every Secret a pod reads is a template here or the operator's.
    known = {name: set(data) for name, data in _example_secrets().items()} | {
        f"{CLUSTER}-app": CNPG_APP_SECRET_KEYS
    }
    for _, d in ALL_DOCS:
        for c in containers(d):
            for var in c.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in known.get(ref["name"], set()), ref


def test_no_file_holds_a_real_looking_secret() -> None:
    files = [p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml", ".py", ".json")]
    files += [DASHBOARD, ROOT / "deploy" / "compose" / "edge.conf"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "-----BEGIN" not in text, f"{path}: a key"
        assert not re.search(r"postgres(ql)?://[^:/\s]+:[^@\s]+@", text), f"{path}: a password in a URL"
    for _, d in ALL_DOCS:
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] != "jiuzhu-wait-for-schema":
            for key, value in d["data"].items():
                assert not _SECRETISH.search(key), f"{key} belongs in a Secret"
                assert not _HIGH_ENTROPY.match(value), f"{key}: {value!r} looks like a secret"


# ---- network policy, evaluated as the CNI would ------------------------------------------------


def _pods(docs: list[dict[str, Any]]) -> dict[str, tuple[dict[str, str], dict[str, int]]]:
    """Every pod the manifests make (and the operator's Postgres pods): labels, named ports."""
    pods: dict[str, tuple[dict[str, str], dict[str, int]]] = {}
    for d in docs:
        spec = pod_spec(d)
        if spec:
            ports = {p["name"]: p["containerPort"] for c in spec["containers"] for p in c.get("ports", [])}
            pods[d["metadata"]["name"]] = (d["spec"]["template"]["metadata"]["labels"], ports)
    pods["postgres"] = (
        {"cnpg.io/cluster": CLUSTER, "cnpg.io/instanceRole": "primary"},
        {"postgresql": 5432, "metrics": 9187, "status": 8000},
    )
    return pods


def _allowed(
    policies: list[dict[str, Any]],
    src: tuple[str, dict[str, str]],
    dst: tuple[dict[str, str], dict[str, int]],
    port: int,
    namespace: str,
) -> bool:
    """Ingress allowed from a pod (namespace, labels) to a pod on a port, under NetworkPolicy rules."""
    src_ns, src_labels = src
    dst_labels, dst_ports = dst
    selecting = [
        p
        for p in policies
        if _matches(p["spec"]["podSelector"], dst_labels) and "Ingress" in p["spec"]["policyTypes"]
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            if ports is not None and not any(
                (dst_ports.get(p["port"]) if isinstance(p["port"], str) else p["port"]) == port for p in ports
            ):
                continue
            peers = rule.get("from")
            if peers is None:
                return True
            for peer in peers:
                assert "ipBlock" not in peer, "no address-based rules"
                ns_ok = (
                    _matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": src_ns})
                    if "namespaceSelector" in peer
                    else src_ns == namespace
                )
                pod_ok = _matches(peer["podSelector"], src_labels) if "podSelector" in peer else True
                if ns_ok and pod_ok:
                    return True
    return False


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_network_policies_let_in_only_what_they_should(render_name: str) -> None:
    docs = RENDERS[render_name]
    namespace = docs[0]["metadata"].get("namespace", "default")
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    inside = {name: (namespace, labels) for name, (labels, _) in pods.items()}
    outside = {
        "ingress controller": (INGRESS_CONTROLLER_NS, {"app.kubernetes.io/name": "ingress-nginx"}),
        "another namespace": (
            "another-team",
            {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "jiuzhu"},
        ),
        "operator": (OPERATOR_NS, {"app.kubernetes.io/name": "cloudnative-pg"}),
        "prometheus": (MONITORING_NS, {"app.kubernetes.io/name": "prometheus"}),
        "stranger in the namespace": (namespace, {"app": "debug"}),
    }
    app_port = {name: ports["http"] for name, (_, ports) in pods.items() if "http" in ports}

    def can(src: tuple[str, dict[str, str]], dst: str, port: int) -> bool:
        return _allowed(policies, src, pods[dst], port, namespace)

    # From outside, only the gateway, and only from the Ingress controller.
    assert can(outside["ingress controller"], "gateway", app_port["gateway"])
    for svc in SERVICES:
        assert not can(outside["ingress controller"], svc, app_port[svc])
        assert not can(outside["another namespace"], svc, app_port[svc])
        assert not can(outside["stranger in the namespace"], svc, app_port[svc])
    assert not can(outside["another namespace"], "gateway", app_port["gateway"])
    assert not can(outside["stranger in the namespace"], "gateway", app_port["gateway"])
    # Services: from the gateway and from each other.
    for svc in SERVICES:
        assert can(inside["gateway"], svc, app_port[svc])
        for other in SERVICES - {svc}:
            assert can(inside[other], svc, app_port[svc])
        assert not can(inside["jiuzhu-migrate"], svc, app_port[svc])
    # Postgres: from the Jiuzhu pods, its own instances and the operator; nobody else.
    for client in [*COMPONENTS, "jiuzhu-migrate", "postgres"]:
        assert can(inside[client], "postgres", 5432), client
    assert can(outside["operator"], "postgres", 8000)
    for who in ("ingress controller", "another namespace", "stranger in the namespace", "prometheus"):
        assert not can(outside[who], "postgres", 5432), who
    # The stated exception: Prometheus scrapes every pod's metrics port.
    for name, port in app_port.items():
        assert can(outside["prometheus"], name, port)
    assert can(outside["prometheus"], "postgres", 9187)


# ---- ingress ------------------------------------------------------------------------------------


@pytest.mark.parametrize("render_name", list(RENDERS))
def test_the_ingress_reaches_the_gateway_only_and_not_its_metrics(render_name: str) -> None:
    from jiuzhu_evaluation.survey.endpoints import MAX_BULK_BYTES
    from jiuzhu_kit.settings import KitSettings
    from jiuzhu_staffing.batch.endpoints import MAX_BATCH_BYTES

    docs = RENDERS[render_name]
    (ingress,) = by_kind(docs, "Ingress").values()
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert {p["backend"]["service"]["name"] for p in paths} == {"gateway"}
    assert all(p["backend"]["service"]["port"] == {"name": "http"} for p in paths)
    routed = {p["path"] for p in paths}
    assert "/api" in routed and not {"/", "/metrics", "/readyz"} & routed
    # The largest body any service takes passes the Ingress (else it answers 413 first, in HTML).
    env = by_kind(docs, "ConfigMap")["jiuzhu-env"]["data"]
    documents = [int(v) for k, v in env.items() if k.endswith("DOCUMENTS_MAX_BYTES")]
    documents.append(KitSettings.model_fields["documents_max_bytes"].default)
    body = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert _bytes(body.replace("m", "Mi")) >= max(MAX_BATCH_BYTES, MAX_BULK_BYTES, *documents)
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert {h for t in ingress["spec"]["tls"] for h in t["hosts"]} == hosts
    base_url = env["PROCUREMENT_PUBLIC_BASE_URL"]
    assert urlsplit(base_url).hostname in hosts  # OCDS links point at this deployment


# ---- the init container's wait, against a real Postgres ----------------------------------------


def _wait(url: str, package: str, seconds: float) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WAIT_FOR_SCHEMA_SECONDS": str(seconds),
        "WAIT_FOR_SCHEMA_INTERVAL": "0.2",
    }
    return subprocess.run(
        [sys.executable, str(WAIT_SCRIPT), package], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    from jiuzhu_devtools.pg import asyncpg_dsn, drop_database, ensure_database

    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        from jiuzhu_devtools.pg import data_dir, ensure_embedded

        server = ensure_embedded(data_dir("test"))
    name = f"jiuzhu_k8s_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = ensure_database(server, name)
    try:
        yield asyncpg_dsn(url)
    finally:
        drop_database(server, name)


def test_pods_wait_until_the_migrate_command_has_run(empty_database: str) -> None:
    packages = [_package(c) for c in COMPONENTS]
    # Nothing migrated: every component's init container keeps waiting (and gives up when told to).
    for package in packages:
        out = _wait(empty_database, package, 0.5)
        assert out.returncode == 1, out.stderr
        assert "not migrated yet" in out.stderr
    # The migrate image's CMD, as the Job runs it.
    migrate = subprocess.run(
        [sys.executable if part == "python" else part for part in _cmd("migrate")],
        env={**os.environ, "DATABASE_URL": empty_database},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert migrate.returncode == 0, migrate.stderr
    for package in packages:
        start = time.monotonic()
        out = _wait(empty_database, package, 30)
        assert out.returncode == 0, out.stderr
        assert "starting" in out.stderr and time.monotonic() - start < 30
    assert set(packages) <= set(_cmd("migrate")), shlex.join(_cmd("migrate"))


def test_wait_verdicts() -> None:
    sys.path.insert(0, str(BASE))
    try:
        import wait_for_schema as w
    finally:
        sys.path.remove(str(BASE))
    heads, known = {"0004"}, {"0001", "0002", "0003", "0004"}
    assert w.verdict({"0004"}, heads, known) is None
    assert w.verdict({"0003"}, heads, known) == "at ['0003'], waiting for ['0004']"
    assert w.verdict({"0009"}, heads, known) is None  # a newer release migrated it: a rollback starts
    assert w.verdict(set(), heads, known) is not None
    assert w.verdict("database not reachable (OSError)", heads, known) == "database not reachable (OSError)"


# ---- the Grafana dashboard ----------------------------------------------------------------------

# CloudNativePG's exporter, default queries (config/manager/default-monitoring.yaml): name → labels.
CNPG_METRICS = {
    "cnpg_backends_total": {"datname", "usename", "application_name", "state"},
    "cnpg_pg_replication_lag": set(),
    "cnpg_pg_replication_streaming_replicas": set(),
}
SCRAPE_LABELS = {"instance", "job", "pod", "namespace", "le"}
_PROMQL_WORDS = {
    "by",
    "without",
    "sum",
    "max",
    "min",
    "count",
    "rate",
    "topk",
    "group",
    "histogram_quantile",
    "on",
    "ignoring",
}


def _exported_metrics() -> dict[str, set[str]]:
    """Every metric family the processes expose, with its labels, from the real objects."""
    from prometheus_client.parser import text_string_to_metric_families

    from jiuzhu_gateway.telemetry import Telemetry
    from jiuzhu_kit.observability import LiveGauges, Metrics

    metrics = Metrics("gateway")
    metrics.live = LiveGauges("procurement")  # a service's scrape-time gauges
    for name, (_, labels) in LiveGauges.HELP.items():
        metrics.live.set(name, tuple("x" for _ in labels[1:]), 0)
    telemetry = Telemetry(metrics, access_log=False)
    metrics.observe("GET", "/healthz", 200, 0.01)
    telemetry.upstream_failure("staffing", "UPSTREAM_TIMEOUT")
    telemetry.breaker_open.labels("staffing").set(0)
    out: dict[str, set[str]] = {}
    text = metrics.endpoint(None).body.decode()  # type: ignore[arg-type]
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, set()).update(sample.labels)
    return out


def test_dashboard_uses_only_metrics_that_exist() -> None:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 12
    known = {**_exported_metrics(), **CNPG_METRICS}
    assert {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "gateway_upstream_failures_total",
        "gateway_circuit_open",
    } <= set(known)
    used = set()
    for expr in exprs:
        names = set(re.findall(r"\b((?:http|gateway|cnpg|db_pool|webhook|feed)_[a-z_]+)\b", expr))
        assert names, expr
        for name in names:
            assert name in known, f"{name} is not exported: {expr}"
            used.add(name)
        labels = set(re.findall(r"([a-z_]+)\s*(?:=~|!=|=)", expr))
        labels |= {
            label.strip() for group in re.findall(r"by \(([^)]*)\)", expr) for label in group.split(",")
        }
        allowed = set().union(*(known[n] for n in names)) | SCRAPE_LABELS
        assert labels - _PROMQL_WORDS <= allowed, f"{labels - allowed}: {expr}"
    assert {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "gateway_upstream_failures_total",
    } <= used
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    assert dash["templating"]["list"][0]["name"] == "service"
