"""Alembic from code: one config for the CLI, the app's readiness check and the tests.

The migrations are found in the source checkout (`migrations/` beside `app/`) or, in an
installed wheel, as the package `salesflow_migrations` (pyproject.toml maps the folder to
it), so `pip install .` can migrate a database without the source tree. `alembic.ini` only
configures the `alembic` command (logging, file names of new revisions); the service needs
nothing from it.
"""

import importlib.util
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def script_location() -> str:
    checkout = PROJECT_ROOT / "migrations"
    if (checkout / "env.py").is_file():
        return str(checkout)
    # A namespace package (no __init__.py): its first folder that holds env.py.
    spec = importlib.util.find_spec("salesflow_migrations")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "env.py").is_file():
            return str(location)
    raise RuntimeError("the migrations are neither beside app/ nor installed")


def alembic_config(database_url: str | None = None) -> Config:
    ini = PROJECT_ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", script_location())
    # The process has configured logging (structured, on stdout); the plain stderr
    # handlers in alembic.ini are for the `alembic` command alone.
    config.attributes["configure_logger"] = False
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_is_compatible(current: str | None, head: str | None) -> bool:
    """Ready to serve: the database is at our head, or at a revision this code does not
    know (a newer release has migrated; migrations are expand-then-contract, so the old
    code keeps working during a rolling deploy). Behind our head is not ready."""
    if current == head:
        return True
    if current is None:
        return False
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except Exception:  # noqa: BLE001 - unknown revision: newer than this code
        return True
    return False


def current_revision(connection: Connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no table yet means "not migrated"
        return None


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations (synchronously; env.py drives the async engine)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Apply migrations on an open connection (tests call this through run_sync)."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
