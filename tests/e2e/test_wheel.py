"""r2tui installed each way finds its styles (the top-level `styles/`): from a
checkout, from an editable install, and from the built wheel, which, installed
into a fresh virtualenv, starts the app with the embedded demo account."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Where the imported r2tui and its styles are, as one JSON line.
PROBE = r"""
import json, r2tui
from r2tui.tui.resources import styles_dir
print(json.dumps({"module": r2tui.__file__, "styles": str(styles_dir())}))
"""


def probe(python: Path | str, *, prefix: str = "", cwd: Path) -> dict[str, str]:
    """Run PROBE isolated (-I: no PYTHONPATH, no user site, not the current folder)."""
    out = subprocess.run(
        [str(python), "-I", "-c", prefix + PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    result: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def venv_with(tmp_path: Path, *install: str) -> Path:
    """A new virtualenv in `tmp_path` with `install` (pip's arguments) in it, and
    nothing else: this interpreter's pip installs into it (no pip of its own to
    bootstrap). Its python."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", *install],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    return py


def test_checkout_reads_the_top_level_styles(tmp_path: Path) -> None:
    result = probe(
        sys.executable, prefix=f"import sys; sys.path.insert(0, {str(REPO)!r})", cwd=tmp_path
    )
    assert Path(result["module"]) == REPO / "r2tui" / "__init__.py"
    assert Path(result["styles"]) == REPO / "styles"


@pytest.mark.slow
def test_editable_install_reads_the_checkouts_styles(tmp_path: Path) -> None:
    py = venv_with(tmp_path, "-e", str(REPO))
    result = probe(py, cwd=tmp_path)
    assert Path(result["module"]) == REPO / "r2tui" / "__init__.py"
    # The checkout's own files, so an edit to a .tcss shows on the next start.
    assert Path(result["styles"]) == REPO / "styles"


HEADLESS = r"""
import asyncio, json, os, sys
os.chdir(os.path.expanduser("~"))  # nowhere near the checkout
from r2tui.config import load_config
from r2tui.store import open_store
from r2tui.tui.app import build_app
from r2tui.tui.resources import styles_dir

async def main():
    config = load_config(None, None, demo=True)
    store = open_store(config.store_url)
    app = build_app(config, store)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(1200):
            await pilot.pause(0.05)
            d = app.dashboard
            if d is not None and len(d.storage.buckets) == 5:
                break
        await pilot.press("q")
        for _ in range(400):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    print(json.dumps({
        "styles": str(styles_dir()),
        "objects": app.dashboard.storage.total_objects if app.dashboard else 0,
        "buckets": len(app.dashboard.storage.buckets) if app.dashboard else 0,
        "painted": app.first_paint_at is not None,
        "module": __import__("r2tui").__file__,
    }))

asyncio.run(main())
"""


@pytest.mark.slow
def test_wheel_installs_and_starts_headless(tmp_path: Path) -> None:
    """The wheel holds the styles and, installed, its r2tui starts the demo.

    The wheel goes in with `--no-deps`, by this interpreter's pip (no pip
    bootstrapped in the venv), and the venv finds the dependencies in this
    interpreter's site-packages through a .pth file, which puts them after the
    venv's own site-packages: the wheel's r2tui still comes first, as asserted
    below. Resolving and installing the dependencies from nothing (24 s here) is
    proved by .ci/run, which installs the project non-editable with all of them."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheels = list(dist.glob("r2tui-*.whl"))
    assert len(wheels) == 1
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "r2tui/styles/app.tcss" in names
    py = venv_with(tmp_path, str(wheels[0]))
    env_dir = py.parent.parent
    site = Path(
        subprocess.run(
            [str(py), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    host = dict.fromkeys((sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]))
    (site / "zz_host_dependencies.pth").write_text("".join(f"{p}\n" for p in host))
    version = subprocess.run(
        [str(env_dir / "bin" / "r2tui"), "--version"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert version.stdout.startswith("r2tui ")
    # -I: the wheel's r2tui, even when PYTHONPATH names a checkout.
    out = subprocess.run(
        [str(py), "-I", "-c", HEADLESS], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["painted"]
    assert result["styles"].startswith(str(env_dir))
    assert Path(result["styles"]) == Path(result["module"]).parent / "styles"
    assert result["module"].startswith(str(env_dir))
    assert result["buckets"] == 5 and result["objects"] > 10_000
