# salesflow API image.
#
#   docker build -t salesflow:local .
#   docker run --rm -p 8000:8000 \
#     -e SALESFLOW_DATABASE_URL=postgresql+asyncpg://user:pass@db:5432/salesflow \
#     -e SALESFLOW_JWT_SECRET="$(openssl rand -hex 32)" \
#     -e SALESFLOW_WEBHOOK_SECRETS_KEYS="[\"$(openssl rand -hex 32)\"]" salesflow:local
#
# (production refuses the public development JWT secret and webhook key: both are needed)
#
# Layout: dependencies live in /opt/venv; the source tree (app/, migrations/,
# alembic.ini) lives in /srv/salesflow and is imported from there via PYTHONPATH.
# The project itself is deliberately NOT pip-installed: app/core/migrations.py finds
# alembic.ini and migrations/ at Path(__file__).parents[2], i.e. the directory that
# contains app/. A copy of app/ in site-packages would resolve to
# /opt/venv/lib/python3.11 instead, and `salesflow migrate` and /readyz would break.

# ---------------------------------------------------------------------------
# builder: resolve the pinned dependencies into a self-contained virtualenv
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
# Only pyproject.toml is copied here, so this (slow) layer is rebuilt when the
# dependency list changes, not on every code edit. The list in [project].dependencies
# is fully pinned; the test extra is not installed.
COPY pyproject.toml ./
RUN python -c "import tomllib; [print(d) for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']]" > requirements.txt \
 && pip install -r requirements.txt

# The `salesflow` command, equivalent to the console script pip would generate for
# [project.scripts] salesflow = "app.cli:main" (it imports app from PYTHONPATH).
RUN printf '#!/opt/venv/bin/python\nimport sys\nfrom app.cli import main\nsys.exit(main())\n' \
      > /opt/venv/bin/salesflow \
 && chmod 0755 /opt/venv/bin/salesflow

# ---------------------------------------------------------------------------
# runtime: slim image, source tree, non-root user
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

# PYTHONDONTWRITEBYTECODE: the root filesystem is read-only in Kubernetes; bytecode
# is compiled at build time below instead.
# SALESFLOW_ENVIRONMENT=production: fail closed. Settings then refuses to start with
# the public development JWT secret, so SALESFLOW_JWT_SECRET must be provided.
# WEB_CONCURRENCY: uvicorn worker processes for the default command. Keep it at 1 and
# scale with containers: Prometheus metrics are per process, and one process only can
# serve them on SALESFLOW_METRICS_PORT (the deployments here set 9000, off the API port).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/srv/salesflow \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SALESFLOW_ENVIRONMENT=production \
    WEB_CONCURRENCY=1

# Fixed numeric ids so Kubernetes can verify runAsNonRoot (deploy/k8s uses 10001).
RUN groupadd --system --gid 10001 salesflow \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin salesflow

COPY --from=builder /opt/venv /opt/venv

# The code stays owned by root: the service user can read it but not change it.
WORKDIR /srv/salesflow
COPY alembic.ini ./
COPY migrations/ ./migrations/
COPY app/ ./app/
RUN python -m compileall -q /srv/salesflow/app /srv/salesflow/migrations

USER 10001:10001

# 8000: the API; 9000: Prometheus metrics when SALESFLOW_METRICS_PORT=9000 (not public).
EXPOSE 8000 9000

# No curl in slim images; urlopen raises (exit 1) on connection errors and non-2xx.
# /healthz is liveness only: it does not touch the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Standalone default: migrate, then replace the shell with the server so it is PID 1
# and receives SIGTERM. Compose and Kubernetes run migrations as a separate one-shot
# step and override this command with a plain `salesflow serve ... --no-migrate`.
CMD ["sh", "-c", "salesflow migrate && exec salesflow serve --host 0.0.0.0 --port 8000 --workers \"${WEB_CONCURRENCY:-1}\" --no-migrate"]
