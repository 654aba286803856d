"""The import contracts in pyproject.toml hold, and they are not a formality: a forbidden import breaks them.

`make lint` runs the same contracts; here a copy of the source tree gets one deliberate
forbidden import, or one cycle, and lint-imports must fail and name it.
"""

import re
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
    "probes, broken",
    [
        ({"directory/probe.py": "import referrals.models"}, "Apps in layers"),
        ({"search/probe.py": "from reporting import figures"}, "Apps in layers"),
        ({"referrals/probe.py": "from factories import referrals"}, "never imports the demo"),
        ({"directory/probe.py": "from config.settings import base"}, "settings package"),
        # A cycle: the probe reaches the models and the models reach the probe.
        ({"directory/probe.py": "from directory import models",
          "directory/models/__init__.py": "from directory import probe  # noqa"}, "No import cycles"),
    ],
)
def test_a_forbidden_import_breaks_make_lint(source_copy, probes, broken):
    originals = {path: (source_copy / path).read_text() if (source_copy / path).exists() else None for path in probes}
    for path, line in probes.items():
        (source_copy / path).write_text((originals[path] or "") + f"\n{line}\n")
    try:
        result = lint_imports(source_copy)
    finally:
        for path, original in originals.items():
            if original is None:
                (source_copy / path).unlink()
            else:
                (source_copy / path).write_text(original)
    assert result.returncode != 0
    assert broken in result.stdout
    assert "BROKEN" in result.stdout


# Couplings that imports do not show follow the same layers: an app's templates load no template
# tag library of an app above it and name none of its URLs, and neither does its Python code.
LAYERS = ["reporting", "referrals", "primarycare", "search", "directory", "common"]  # top to bottom, as in the contract


def _tag_libraries(app: str) -> set[str]:
    return {path.stem for path in (ROOT / app / "templatetags").glob("*.py") if path.stem != "__init__"}


def _above(app: str) -> list[str]:
    return LAYERS[: LAYERS.index(app)]


def _loaded_libraries(text: str) -> set[str]:
    return {name for match in re.findall(r"{%\s*load\s+([^%]+?)\s*%}", text) for name in match.split()}


def _url_namespaces(text: str) -> set[str]:
    return set(re.findall(r"""["']([a-z_]+):[a-z_]+["']""", text))


def _dotted_names(text: str) -> set[str]:
    """Apps named by a dotted path in a string (a URL configuration, a task or a model label)."""
    return set(re.findall(r"""["']([a-z_]+)\.[A-Za-z_.]+["']""", text))


@pytest.mark.parametrize("app", LAYERS)
def test_templates_load_no_tags_and_name_no_urls_of_an_app_above(app):
    forbidden_tags = {library for upper in _above(app) for library in _tag_libraries(upper)}
    found = []
    for template in sorted((ROOT / "templates" / app).rglob("*.html")):
        text = template.read_text()
        found += [f"{template.relative_to(ROOT)} loads {name}" for name in _loaded_libraries(text) & forbidden_tags]
        found += [f"{template.relative_to(ROOT)} names {ns}: URLs" for ns in _url_namespaces(text) & set(_above(app))]
    assert found == []


@pytest.mark.parametrize("app", LAYERS)
def test_python_code_names_no_urls_or_modules_of_an_app_above(app):
    found = [
        f"{module.relative_to(ROOT)} names {name}"
        for module in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in module.parts
        for name in (_url_namespaces(module.read_text()) | _dotted_names(module.read_text())) & set(_above(app))
    ]
    assert found == []


def test_the_template_check_sees_a_forbidden_load_and_url():
    text = "{% load i18n referrals_permissions %}<a href=\"{% url 'referrals:caseload' %}\">"
    forbidden_for_search = {library for upper in _above("search") for library in _tag_libraries(upper)}
    assert _loaded_libraries(text) & forbidden_for_search == {"referrals_permissions"}
    assert _url_namespaces(text) & set(_above("search")) == {"referrals"}
