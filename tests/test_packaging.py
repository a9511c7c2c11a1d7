"""`pip install .` (not editable) gives a service that can migrate: the wheel carries every
module of `app/` and the migrations."""

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    [built] = out.glob("salesflow-*.whl")
    return built


def test_the_wheel_holds_every_module_and_migration(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "app").rglob("*.py")}
    migrations = {"salesflow_migrations/" + str(p.relative_to(ROOT / "migrations"))
                  for p in (ROOT / "migrations").rglob("*.py")}
    assert sources - names == set(), "add the new package to [tool.setuptools] packages"
    assert migrations - names == set()
    assert "salesflow_migrations/script.py.mako" in names


def test_an_installed_wheel_migrates_a_database(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    database = tmp_path / "fresh.db"
    env = {**os.environ, "PYTHONPATH": str(site),
           "SALESFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    env.pop("SALESFLOW_TEST_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-c",
         "import app, sys; assert app.__file__.startswith(sys.argv[1]), app.__file__\n"
         "from app.cli import main; sys.argv = ['salesflow', 'migrate']; main()", str(site)],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    tables = {row[0] for row in sqlite3.connect(database).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "contract", "sales_order", "delivery"} <= tables
