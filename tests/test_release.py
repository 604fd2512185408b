"""What a package index and a packager see: metadata, LICENSE, the wheel and the sdist.

The sdist and the wheel are built as a release is, with ``python -m build``
(the ``dev`` extra installs it): the sdist from a copy of the source tree,
then the wheel from the sdist, which shows the sdist is complete enough to
build from. The build backend comes from the package index, as for a user.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from importlib.metadata import metadata, version
from pathlib import Path

import pytest

import circuits
import gates

ROOT = Path(__file__).resolve().parent.parent
DIST = "backprop-circuits"
# Left out of the copy the builds start from: caches, virtualenvs, earlier builds.
SKIPPED = {".git", ".venv", ".venv-ci", ".bench-venv", "venv", "build", "dist", "site"}


def _tracked(under: str = "") -> list[str]:
    """Files git knows under ``under`` (tracked, or new and not ignored); [] without git."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return []
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", under or "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree to build from (the real one is left untouched)."""
    copy = tmp_path_factory.mktemp("source") / "backprop-circuits"

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {
            n
            for n in names
            if n in SKIPPED or n.endswith((".egg-info", "_cache", ".pyc")) or n == "__pycache__"
        } | ({".hypothesis"} & set(names))

    shutil.copytree(ROOT, copy, ignore=ignore)
    return copy


@pytest.fixture(scope="module")
def built(source: Path) -> dict[str, Path]:
    out = source.parent / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def wheel(built: dict[str, Path]) -> zipfile.ZipFile:
    return zipfile.ZipFile(built["wheel"])


@pytest.fixture(scope="module")
def sdist(built: dict[str, Path]) -> tarfile.TarFile:
    return tarfile.open(built["sdist"])


def _wheel_metadata(wheel: zipfile.ZipFile) -> Message:
    from email.parser import Parser

    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode("utf-8"))


# -- metadata --------------------------------------------------------------------------


def test_one_version_everywhere() -> None:
    assert circuits.__version__ == gates.__version__
    assert version(DIST) == gates.__version__, (
        "the installed metadata is older than gates.__version__: pip install -e ."
    )


def test_the_installed_distribution_says_what_an_index_shows() -> None:
    meta = metadata(DIST)
    assert meta["License"] == "MIT" or meta["License-Expression"] == "MIT"
    assert meta["Author"]
    assert "backpropagation" in (meta["Keywords"] or "")
    assert meta["Summary"].startswith("See backpropagation happen")
    classifiers = meta.get_all("Classifier") or []
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Topic :: Education" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # the Python running these tests is one the classifiers name as tested
    running = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert running in classifiers, f"tested on a Python the classifiers omit: add {running!r}"
    minimum = meta["Requires-Python"]
    assert minimum == ">=3.10"


def test_the_license_says_mit_and_ships_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    (licence,) = [n for n in wheel.namelist() if ".dist-info/" in n and n.endswith("LICENSE")]
    assert wheel.read(licence).decode("utf-8") == text
    assert _wheel_metadata(wheel)["Version"] == gates.__version__


def test_the_wheel_holds_the_two_packages_and_all_their_files(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == {"gates", "circuits"}
    for needed in ("gates/py.typed", "circuits/py.typed", "circuits/notebook.py"):
        assert needed in names
    # every file of the packages, data files too (a player's .js, a py.typed)
    missing = [
        name
        for name in _tracked("gates") + _tracked("circuits")
        if "__pycache__" not in name and name not in names
    ]
    assert not missing, f"the wheel leaves out {missing}: add them to [options.package_data]"


# -- the sdist: everything its tests need --------------------------------------------------


def test_the_sdist_holds_the_license_and_what_the_tests_need(sdist: tarfile.TarFile) -> None:
    (_top,) = {name.split("/")[0] for name in sdist.getnames()}  # one folder, name-version
    names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in ("LICENSE", "README.md", "setup.cfg", "pyproject.toml", "conftest.py"):
        assert needed in names
    wanted = [n for under in ("tests", "docs", "scripts") for n in _tracked(under)]
    if (ROOT / ".git").exists():
        assert wanted, "git lists no test files"
    missing = [n for n in wanted if n not in names]
    assert not missing, f"the sdist leaves out {missing}: see MANIFEST.in"
    assert not any(name.startswith((".ci/", "bench/")) for name in names)


def test_the_tests_collect_in_an_unpacked_sdist(sdist: tarfile.TarFile, tmp_path: Path) -> None:
    sdist.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=unpacked,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.lower().splitlines()[-1]
    assert "tests/test_release.py" in done.stdout
