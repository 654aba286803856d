"""The import contracts in pyproject.toml hold, and they are not a formality: a forbidden import breaks them.

`make lint` runs the same contracts; here a copy of the source tree gets one deliberate
forbidden import, or one cycle, and lint-imports must fail and name it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["directory", "search", "referrals", "reporting", "demo", "benchmarks", "factories"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": f"{root}{':'}{root / 'site'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "static", "schema", "data", "results")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=ignore)
    for package in ["config", "pages"]:
        shutil.copytree(ROOT / "site" / package, copy / "site" / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_contracts_hold_for_the_code_as_it_is():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "probe, source, broken",
    [
        ("directory/probe.py", "import referrals.models\n", "Apps in layers"),
        ("search/probe.py", "from reporting import figures\n", "Apps in layers"),
        ("referrals/probe.py", "from factories import referrals\n", "never imports the demo"),
        ("directory/probe.py", "from config.settings import base\n", "settings package"),
        ("directory/probe.py", "from directory import models\n", "No import cycles"),
    ],
)
def test_a_forbidden_import_breaks_make_lint(source_copy, probe, source, broken):
    path = source_copy / probe
    if probe == "directory/probe.py" and "directory import models" in source:
        # A cycle: models reaches the probe and the probe reaches models.
        models_init = source_copy / "directory" / "models" / "__init__.py"
        original = models_init.read_text()
        models_init.write_text(original + "\nfrom directory import probe  # noqa\n")
    path.write_text(source)
    try:
        result = lint_imports(source_copy)
    finally:
        path.unlink()
        if "directory import models" in source:
            models_init.write_text(original)
    assert result.returncode != 0
    assert broken in result.stdout
    assert "BROKEN" in result.stdout
