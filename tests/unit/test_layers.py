"""The layers hold: the screens never import each other, and nothing below them imports one.

``make lint`` and ``make test`` run import-linter over the package with the contracts in
``pyproject.toml``. These tests show that those contracts pass on the package as it is,
that they catch what they exist to catch (a direct import between screens, a chain through
the operations, a model reaching up), and that a screen added later cannot slip past them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
SCREENS = ("respond", "casework", "dashboards", "admin", "api", "authoring")
BELOW = ("operations", "questionnaires", "models", "auth", "records", "published")


def _contracts() -> list[dict]:  # type: ignore[type-arg]
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return settings["tool"]["importlinter"]["contracts"]


def _lint(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS is not None, "import-linter is part of the test dependencies"
    return subprocess.run([LINT_IMPORTS, "--config", str(config)], cwd=root, text=True,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(root)},
                          timeout=120, check=False)


def test_the_package_keeps_every_contract() -> None:
    result = _lint(REPO, REPO / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_every_blueprint_package_is_a_screen_the_contracts_keep_apart() -> None:
    """A new screen must join the independence contract, or this fails."""
    independent = next(c for c in _contracts() if c["type"] == "independence")
    blueprints = {path.parent.name for path in (REPO / "viewpoint").glob("*/*.py")
                  if "Blueprint(" in path.read_text(encoding="utf-8")}
    # Sign-in, the health check, the questionnaire preview and the published statements are
    # not ways into a child's record; every other blueprint is a screen.
    assert blueprints - {"auth", "health", "preview", "statements"} == set(SCREENS)
    assert set(independent["modules"]) == {f"viewpoint.{name}" for name in SCREENS}


def _stub_package(root: Path, imports: dict[str, str]) -> Path:
    """A package named like ours, every layer present, with ``imports`` (module -> module
    it imports) written in, and our contracts as its configuration."""
    package = root / "viewpoint"
    for name in (*SCREENS, *BELOW):
        (package / name).mkdir(parents=True)
        (package / name / "__init__.py").write_text("", encoding="utf-8")
        (package / name / "things.py").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    for source, target in imports.items():
        path = package / source.replace(".", "/")
        path = path.with_suffix(".py") if not path.is_dir() else path / "__init__.py"
        path.write_text(f"import viewpoint.{target}\n", encoding="utf-8")
    config = root / "importlinter.toml"
    lines = ['[tool.importlinter]', 'root_package = "viewpoint"', ""]
    for contract in _contracts():
        lines.append("[[tool.importlinter.contracts]]")
        for key, value in contract.items():
            lines.append(f"{key} = {value!r}".replace("'", '"'))
        lines.append("")
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


@pytest.mark.parametrize("imports", [
    {"casework.things": "respond.things"},  # one screen straight into another
    {"dashboards.things": "operations.things", "operations.things": "casework.things"},
    {"respond.things": "questionnaires.things", "questionnaires.things": "admin.things"},
    {"models.things": "operations.things"},  # a model reaching up into the operations
    {"operations.things": "dashboards.things"},  # an operation reaching up into a screen
    {"api.things": "casework.things"},  # the systems' way in borrowing the workers' screen
    {"records.things": "api.things"},  # what two screens read, reaching up into one
], ids=["screen-to-screen", "chain-through-operations", "chain-through-questionnaires",
        "model-to-operation", "operation-to-screen", "api-to-casework", "records-to-api"])
def test_the_contracts_catch_a_broken_layer(tmp_path: Path, imports: dict[str, str]) -> None:
    config = _stub_package(tmp_path, imports)
    result = _lint(tmp_path, config)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_the_stub_without_a_broken_layer_passes(tmp_path: Path) -> None:
    """The other side of the tests above: the same stub, imports only downwards."""
    config = _stub_package(tmp_path, {"respond.things": "operations.things",
                                      "operations.things": "models.things",
                                      "casework.things": "questionnaires.things",
                                      "api.things": "records.things",
                                      "records.things": "operations.things"})
    result = _lint(tmp_path, config)
    assert result.returncode == 0, result.stdout + result.stderr
