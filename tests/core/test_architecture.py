"""The core stands alone: importing `hotline` or any of its modules loads no feature package."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import hotline

FEATURES = ("ami_listener", "ivr", "transcription", "api", "hotline_app")


def core_modules() -> list[str]:
    # Migrations run inside Alembic's context; they are scripts, not importable modules.
    return sorted(
        info.name
        for info in pkgutil.walk_packages(hotline.__path__, "hotline.")
        if not info.name.startswith("hotline.migrations")
    )


def loaded_features(module: str) -> list[str]:
    """Imports `module` in a fresh interpreter and names the feature packages that came with it."""
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}} & set({FEATURES!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_probe_sees_a_feature_when_one_is_imported() -> None:
    assert loaded_features("ivr.dialog") == ["ivr"]


def test_importing_the_core_loads_no_feature() -> None:
    assert loaded_features("hotline") == []


def test_no_core_module_loads_a_feature() -> None:
    modules = core_modules()
    assert {"hotline.catalogue", "hotline.citizen", "hotline.domain", "hotline.models"} <= set(modules)
    probe = "\n".join(f"import {name}" for name in modules)
    probe += "\nimport sys, json\n"
    probe += f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & set({FEATURES!r}))))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [], "core modules import a feature package"
