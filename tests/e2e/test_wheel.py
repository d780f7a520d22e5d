"""The built wheel, installed alone into a fresh virtualenv, starts the app:
styles ship inside it and the embedded demo account works without the repo."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

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
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    version = subprocess.run(
        [str(env_dir / "bin" / "r2tui"), "--version"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert version.stdout.startswith("r2tui ")
    out = subprocess.run(
        [str(py), "-c", HEADLESS], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["painted"]
    assert result["styles"].startswith(str(env_dir))
    assert result["module"].startswith(str(env_dir))
    assert result["buckets"] == 5 and result["objects"] > 10_000
