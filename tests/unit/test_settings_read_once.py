"""The environment is read once: `workflow.settings` is the only module that reads it,
and only the composition roots ask it to (`Settings.from_env`), once each; everything
else is handed the `Settings` they built."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The application's code (bench/ and tests/ are their own entry points).
PACKAGES = ("states", "workflow", "web", "timers", "complaints")
#: The one module that reads environment variables, and gunicorn's configuration, which
#: also sets PROMETHEUS_MULTIPROC_DIR for the workers it forks.
READERS = {"workflow/settings.py", "gunicorn.conf.py"}
#: Where a process starts: each builds its Settings once (`create_app` when it is not
#: handed them, the command line in `main`, gunicorn's master).
ROOTS = {"web/__init__.py", "complaints/cli.py", "gunicorn.conf.py"}
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> tuple[list[int], list[int]]:
    """The lines of `source` that touch `os.environ` / `os.getenv` (or import them from
    os), and the lines that call `Settings.from_env`."""
    touches, builds = [], []
    for node in ast.walk(ast.parse(source)):
        if _touches_environment(node):
            touches.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "from_env"):
            builds.append(node.lineno)
    return sorted(touches), sorted(builds)


def _touches_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):     # os.environ, os.getenv, ...
        return (node.attr in ENVIRONMENT and isinstance(node.value, ast.Name)
                and node.value.id == "os")
    return (isinstance(node, ast.ImportFrom) and node.module == "os"     # from os import environ
            and any(alias.name in ENVIRONMENT for alias in node.names))


def application_files() -> list[Path]:
    files = [ROOT / "gunicorn.conf.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def test_only_the_settings_module_reads_the_environment_and_only_roots_build_settings():
    touching, building = {}, {}
    for path in application_files():
        name = path.relative_to(ROOT).as_posix()
        touches, builds = environment_reads(path.read_text("utf-8"))
        if touches and name not in READERS:
            touching[name] = touches
        if builds and (name not in ROOTS or len(builds) > 1):
            building[name] = builds
    assert touching == {}, "read the environment only in workflow/settings.py"
    assert building == {}, "build Settings once, in a composition root, and pass them down"


def test_each_composition_root_builds_its_settings_exactly_once():
    for name in ROOTS:
        _, builds = environment_reads((ROOT / name).read_text("utf-8"))
        assert len(builds) == 1, name


def test_the_check_finds_a_planted_read_of_the_environment():
    planted = ("import os\nfrom os import getenv\n"
               "url = os.environ.get('COMPLAINTS_DATABASE_URL')\n"
               "debug = getenv('DEBUG')\nkey = os.getenv('COMPLAINTS_SECRET_KEY')\n"
               "settings = Settings.from_env()\n")
    touches, builds = environment_reads(planted)
    assert touches == [2, 3, 5] and builds == [6]
    assert environment_reads("import os\nhome = os.path.expanduser('~')\n") == ([], [])
