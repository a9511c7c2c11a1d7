"""The deployment files agree with the code: env var names, probes, users, ports.

Settings ignores unknown variables (extra="ignore"), so a misspelt SALESFLOW_ name in
a manifest would be silently dropped in production; these tests catch it instead.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core.config import Environment, Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
DOCKERFILE = ROOT / "Dockerfile"

PREFIX = "SALESFLOW_"
ENV_NAME = re.compile(r"SALESFLOW_[A-Z_]+")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}


# --------------------------------------------------------------------------- loading


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((path.name, document))
    return documents


def _k8s_by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in _k8s_documents() if doc.get("kind") == kind]


def _api_deployment() -> dict[str, Any]:
    (deployment,) = [d for d in _k8s_by_kind("Deployment")
                     if d["metadata"]["labels"]["app.kubernetes.io/component"] == "api"]
    return deployment


def _dockerfile_stages() -> list[list[str]]:
    """Dockerfile instructions (continuation lines joined, comments dropped) per stage."""
    instructions: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instructions.append(pending + line)
        pending = ""
    stages: list[list[str]] = []
    for instruction in instructions:
        if instruction.split(None, 1)[0].upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


# --------------------------------------------------------------------------- collecting


def _compose_environment(service: dict[str, Any]) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, dict):
        return {str(k): None if v is None else str(v) for k, v in environment.items()}
    pairs = (str(item).split("=", 1) for item in environment)
    return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}


def _pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    spec = document.get("spec", {})
    if document["kind"] == "Pod":
        return spec
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _containers(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pod = _pod_spec(document)
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _k8s_env_names() -> dict[str, set[str]]:
    """Env var name -> the files that set it (ConfigMap/Secret keys, container env)."""
    found: dict[str, set[str]] = {}
    for filename, document in _k8s_documents():
        kind = document.get("kind")
        names: list[str] = []
        if kind in {"ConfigMap", "Secret"}:
            names += list(document.get("data") or {})
            names += list(document.get("stringData") or {})
        elif kind in WORKLOAD_KINDS:
            for container in _containers(document):
                names += [item["name"] for item in container.get("env", [])]
        for name in names:
            found.setdefault(name, set()).add(filename)
    return found


def _all_salesflow_names() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for service_name, service in _compose()["services"].items():
        for name in _compose_environment(service):
            found.setdefault(name, set()).add(f"compose.yaml:{service_name}")
    for name, sources in _k8s_env_names().items():
        found.setdefault(name, set()).update(sources)
    for name in ENV_NAME.findall(DOCKERFILE.read_text(encoding="utf-8")):
        found.setdefault(name, set()).add("Dockerfile")
    return {name: sources for name, sources in found.items() if name.startswith(PREFIX)}


# --------------------------------------------------------------------------- env names


def test_every_salesflow_variable_is_a_settings_field() -> None:
    names = _all_salesflow_names()
    # Guard against the collectors silently finding nothing.
    for expected in ("SALESFLOW_DATABASE_URL", "SALESFLOW_JWT_SECRET",
                     "SALESFLOW_ENVIRONMENT", "SALESFLOW_AUTO_MIGRATE"):
        assert expected in names, f"{expected} is set nowhere in the deployment files"

    unknown = {
        name: sorted(sources) for name, sources in names.items()
        if name.removeprefix(PREFIX).lower() not in Settings.model_fields
    }
    assert not unknown, f"not fields of app.core.config.Settings: {unknown}"


def test_k8s_env_values_are_strings() -> None:
    # The API server rejects non-string ConfigMap data and env values (an unquoted
    # `true` or `5` in YAML); catch it before kubectl apply does.
    for filename, document in _k8s_documents():
        if document.get("kind") in {"ConfigMap", "Secret"}:
            for key in ("data", "stringData"):
                for name, value in (document.get(key) or {}).items():
                    assert isinstance(value, str), f"{filename}: {name} must be quoted"
        elif document.get("kind") in WORKLOAD_KINDS:
            for container in _containers(document):
                for item in container.get("env", []):
                    if "value" in item:
                        assert isinstance(item["value"], str), f"{filename}: {item['name']}"


def _settings_from(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Build Settings exactly as a container would: from these variables only."""
    import os

    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_k8s_api_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    (configmap,) = _k8s_by_kind("ConfigMap")
    deployment = _api_deployment()
    (container,) = _pod_spec(deployment)["containers"]
    environ = dict(configmap["data"])
    environ.update({item["name"]: item["value"] for item in container.get("env", [])})
    environ["SALESFLOW_DATABASE_URL"] = "postgresql+asyncpg://u:p@db:5432/salesflow"
    environ["SALESFLOW_JWT_SECRET"] = "x" * 40
    environ["SALESFLOW_WEBHOOK_SECRETS_KEYS"] = json.dumps(["w" * 40])

    settings = _settings_from(environ, monkeypatch)

    assert settings.environment == Environment.production
    assert settings.migrate_on_start is False


def test_example_secret_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Applied unchanged, the example Secret must stop the app rather than run it with
    # a signing key that is published in this repository.
    (configmap,) = _k8s_by_kind("ConfigMap")
    (secret,) = _k8s_by_kind("Secret")
    assert secret["stringData"]["SALESFLOW_DATABASE_URL"].startswith("postgresql+asyncpg://")
    with pytest.raises(ValueError, match="SALESFLOW_JWT_SECRET"):
        _settings_from({**configmap["data"], **secret["stringData"]}, monkeypatch)


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for our file."""
    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return variables[name]
        if operator == ":-":
            return argument
        raise AssertionError(f"{name} is required by compose.yaml")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", replace, value)


def test_compose_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    services = _compose()["services"]
    required = {"POSTGRES_PASSWORD": "0123abcd", "SALESFLOW_JWT_SECRET": "y" * 40,
                "WEBHOOK_SECRETS_KEY": "z" * 40}
    for name in ("migrate", "api"):
        environ = {key: _interpolate(value or "", required)
                   for key, value in _compose_environment(services[name]).items()}
        settings = _settings_from(environ, monkeypatch)
        assert settings.environment == Environment.production
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert [k.get_secret_value() for k in settings.webhook_secrets_keys] == ["z" * 40]
    assert settings.migrate_on_start is False  # the api service


def test_compose_requires_the_jwt_secret() -> None:
    api = _compose()["services"]["api"]
    assert _compose_environment(api)["SALESFLOW_JWT_SECRET"].startswith(
        "${SALESFLOW_JWT_SECRET:?")


def test_compose_ordering() -> None:
    services = _compose()["services"]
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["salesflow", "migrate"]
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert "--no-migrate" in services["api"]["command"]


# --------------------------------------------------------------------------- k8s shape


def test_deployment_probes() -> None:
    deployment = _api_deployment()
    (container,) = _pod_spec(deployment)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in (*ports, *ports.values())


def test_deployment_hardening() -> None:
    deployment = _api_deployment()
    pod = _pod_spec(deployment)
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["limits"]["memory"]
    tmp_volumes = {mount["name"] for mount in container["volumeMounts"]
                   if mount["mountPath"] == "/tmp"}
    assert any(volume["name"] in tmp_volumes and "emptyDir" in volume
               for volume in pod["volumes"])
    assert "--no-migrate" in container["command"] + container.get("args", [])


def test_pods_run_as_the_image_user() -> None:
    # runAsNonRoot is only verifiable against a numeric USER; keep the ids in step.
    uid = _final_user().split(":")[0]
    assert uid.isdigit()
    for kind in ("Deployment", "Job"):
        for workload in _k8s_by_kind(kind):
            assert str(_pod_spec(workload)["securityContext"]["runAsUser"]) == uid


def test_background_work_runs_in_a_worker_not_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    (worker,) = [d for d in _k8s_by_kind("Deployment")
                 if d["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"]
    (container,) = _pod_spec(worker)["containers"]
    assert container["command"][:2] == ["salesflow", "worker"]
    assert container["ports"][0]["containerPort"] == int(
        container["command"][container["command"].index("--metrics-port") + 1])
    (configmap,) = _k8s_by_kind("ConfigMap")
    environ = {**configmap["data"], "SALESFLOW_DATABASE_URL": "postgresql+asyncpg://u@db/s",
               "SALESFLOW_JWT_SECRET": "x" * 40,
               "SALESFLOW_WEBHOOK_SECRETS_KEYS": json.dumps(["w" * 40])}
    assert _settings_from(environ, monkeypatch).runs_worker_in_process is False
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert compose["services"]["worker"]["command"] == ["salesflow", "worker"]


def test_service_targets_the_api_port() -> None:
    (service,) = _k8s_by_kind("Service")
    deployment = _api_deployment()
    (container,) = _pod_spec(deployment)["containers"]
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in container["ports"]
    assert port["targetPort"] in ("http", 8000)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_migration_job_uses_both_sources() -> None:
    (job,) = _k8s_by_kind("Job")
    (container,) = _pod_spec(job)["containers"]
    assert container["command"] == ["salesflow", "migrate"]
    refs = {next(iter(source)) for source in container["envFrom"]}
    assert refs == {"configMapRef", "secretRef"}


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    manifests = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


# --------------------------------------------------------------------------- Dockerfile


def _final_user() -> str:
    users = [instruction.split(None, 1)[1].strip()
             for instruction in _dockerfile_stages()[-1]
             if instruction.split(None, 1)[0].upper() == "USER"]
    assert users, "the final Dockerfile stage sets no USER (it would run as root)"
    return users[-1]


def test_dockerfile_final_stage_is_non_root() -> None:
    user, _, group = _final_user().partition(":")
    assert user not in {"root", "0"}
    assert group not in {"root", "0"}


def test_dockerfile_keeps_the_project_tree() -> None:
    # app/core/migrations.py finds alembic.ini and migrations/ next to app/.
    final = "\n".join(_dockerfile_stages()[-1])
    for source in ("alembic.ini", "migrations/", "app/"):
        assert re.search(rf"^COPY\s+{re.escape(source)}\s", final, re.MULTILINE), source
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert "EXPOSE 8000" in final


def test_the_dockerfile_run_example_starts_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header's `docker run` recipe, run as written, gives settings production accepts
    (it once lacked the webhook key, which production requires)."""
    header = DOCKERFILE.read_text(encoding="utf-8").split("\nFROM ", 1)[0]
    recipe = [line.lstrip("# ").rstrip("\\ ") for line in header.splitlines()
              if "docker run" in line or line.lstrip("# ").startswith("-e ")]
    assert recipe and "docker run" in recipe[0]
    environment: dict[str, str] = {}
    for line in recipe[1:]:
        name, _, value = line.removeprefix("-e ").partition("=")
        value = value.split('" ')[0].strip('"').replace('\\"', '"')
        # The shell's $(openssl rand -hex 32): 64 hex characters.
        environment[name] = value.replace("$(openssl rand -hex 32)", "ab" * 32)
    for name in [n for n in os.environ if n.startswith(PREFIX)]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SALESFLOW_ENVIRONMENT", "production")  # the image's default
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == Environment.production


# --------------------------------------------------------------------------- recipes


def _compose_header_recipe() -> list[str]:
    """The shell lines of compose.yaml's header comment, continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in COMPOSE.read_text(encoding="utf-8").split("\nname:", 1)[0].splitlines():
        line = raw.removeprefix("#").strip()
        if not raw.startswith("#   "):  # the recipe is the indented part of the comment
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        lines.append(pending + line)
        pending = ""
    return lines


def _run_recipe_env_step(tmp_path: Path) -> dict[str, str]:
    """Run the recipe's lines up to `docker compose` in bash, in a copy of deploy/, with
    openssl as it is (or a stand-in printing as many random hex digits), and read .env."""
    recipe = _compose_header_recipe()
    compose_at = next(i for i, line in enumerate(recipe) if line.startswith("docker compose"))
    assert recipe[0] == "cd deploy" and compose_at > 1, recipe
    (tmp_path / "deploy").mkdir()
    stand_in = ('command -v openssl >/dev/null || openssl() { '
                'head -c "$3" /dev/urandom | od -An -tx1 | tr -d " \\n"; }\n')
    script = "set -euo pipefail\n" + stand_in + "\n".join(recipe[:compose_at]) + "\n"
    import subprocess

    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         check=False, timeout=30)
    assert run.returncode == 0, run.stderr
    pairs = (line.split("=", 1) for line in
             (tmp_path / "deploy" / ".env").read_text().splitlines() if line)
    return {name: value for name, value in pairs}


def test_the_compose_header_recipe_sets_every_required_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`docker compose up` refuses an unset or empty ${NAME:?...}: the recipe's .env must
    give each one a value (it once left POSTGRES_PASSWORD empty), and one that the
    settings accept in production."""
    dotenv = _run_recipe_env_step(tmp_path)
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", COMPOSE.read_text()))
    assert required == {"POSTGRES_PASSWORD", "SALESFLOW_JWT_SECRET", "WEBHOOK_SECRETS_KEY"}
    assert {name: bool(dotenv.get(name)) for name in required} == dict.fromkeys(required, True)
    services = _compose()["services"]
    for name in ("migrate", "api", "worker"):
        environ = {key: _interpolate(value or "", dotenv)
                   for key, value in _compose_environment(services[name]).items()}
        settings = _settings_from(environ, monkeypatch)
        assert settings.environment == Environment.production


def test_the_database_password_is_the_one_postgres_gets(tmp_path: Path) -> None:
    dotenv = _run_recipe_env_step(tmp_path)
    password = dotenv["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"[0-9a-f]{16,}", password), "random, and URL-safe as it is"
    services = _compose()["services"]
    postgres = _compose_environment(services["postgres"])
    assert _interpolate(postgres["POSTGRES_PASSWORD"] or "", dotenv) == password
    for name in ("migrate", "api", "worker"):
        url = _interpolate(_compose_environment(services[name])["SALESFLOW_DATABASE_URL"] or "",
                           dotenv)
        assert url == (f"postgresql+asyncpg://{postgres['POSTGRES_USER']}:{password}"
                       f"@postgres:5432/{postgres['POSTGRES_DB']}")
