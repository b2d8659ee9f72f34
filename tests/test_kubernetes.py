"""The Kubernetes configuration, checked as far as a machine without a cluster allows: the values are
mapped onto KubeSpawner the way Zero to JupyterHub maps them, and the pod KubeSpawner would submit is
built and read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

VALUES = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes" / "values.yaml"


def pod(values: dict, monkeypatch) -> dict:
    kubespawner = pytest.importorskip("kubespawner")
    from kubernetes_asyncio.client import ApiClient

    # no cluster here: the spawner's API client configuration is never used to build a manifest
    monkeypatch.setattr("kubespawner.spawner.load_config", lambda **_: None)
    single = values["singleuser"]

    async def build() -> dict:
        spawner = kubespawner.KubeSpawner(_mock=True)
        # what z2jh's jupyterhub_config.py does with these keys
        spawner.image = f"{single['image']['name']}:{single['image']['tag']}"
        spawner.cmd = [single["cmd"]]
        spawner.uid = single["uid"]
        spawner.environment = dict(single["extraEnv"])
        spawner.mem_limit, spawner.mem_guarantee = single["memory"]["limit"], single["memory"]["guarantee"]
        spawner.cpu_limit = float(single["cpu"]["limit"])
        spawner.volumes = single["storage"]["extraVolumes"]
        spawner.volume_mounts = single["storage"]["extraVolumeMounts"]
        spawner.extra_containers = single["extraContainers"]
        return ApiClient().sanitize_for_serialization(await spawner.get_pod_manifest())

    return asyncio.run(build())


def test_every_learner_pod_has_an_engine_of_its_own_and_no_host_socket(monkeypatch):
    values = yaml.safe_load(VALUES.read_text())
    spec = pod(values, monkeypatch)["spec"]
    server, engine = spec["containers"]
    assert engine["securityContext"]["privileged"] is True
    assert "privileged" not in (server.get("securityContext") or {})  # the notebook server is not
    socket = {"name": "learner-socket", "mountPath": "/run/learner"}
    assert socket in server["volumeMounts"] and socket in engine["volumeMounts"]
    assert {"name": "DOCKER_HOST", "value": "unix:///run/learner/docker.sock"} in server["env"]
    assert engine["args"][:3] == ["dockerd", "-H", "unix:///run/learner/docker.sock"]
    assert not any("tcp://" in a for a in engine["args"])  # no TCP port for the engine
    assert all("hostPath" not in v for v in spec["volumes"])  # nothing of the node, its socket least
    assert server["resources"]["limits"]["memory"] and engine["resources"]["limits"]["memory"] == "3Gi"
    assert values["cull"]["enabled"] and values["hub"]["config"]["JupyterHub"]["authenticator_class"]
    # the notebook server runs as the learner image's user, whose group the engine gives its socket
    assert server["securityContext"]["runAsUser"] == 1000
    assert engine["args"][engine["args"].index("--group") + 1] == "1000"


def _keys(tree: object) -> list[str]:
    if isinstance(tree, dict):
        return [k for key, value in tree.items() for k in [str(key), *_keys(value)]]
    if isinstance(tree, list):
        return [k for item in tree for k in _keys(item)]
    return []


def test_the_values_hold_no_password_and_let_no_one_in_unnamed():
    values = yaml.safe_load(VALUES.read_text())
    assert [k for k in _keys(values) if "password" in k.lower()] == []  # it comes from the admin's file
    assert "allow_all" not in _keys(values) and "allowed_users" not in _keys(values)  # named at install
    assert _keys({"a": [{"user_password": "x"}]}) == ["a", "user_password"]  # the check can fail


def test_the_check_can_fail(monkeypatch):
    values = yaml.safe_load(VALUES.read_text())
    values["singleuser"]["extraContainers"][0]["volumeMounts"] = []  # the engine's socket nowhere shared
    spec = pod(values, monkeypatch)["spec"]
    assert {"name": "learner-socket", "mountPath": "/run/learner"} not in spec["containers"][1].get(
        "volumeMounts", []
    )
