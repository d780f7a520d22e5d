"""The README's screenshots, retaken: the demo at 120x30 and at 80x24, each
20 s after its five buckets were first listed, saved as SVG into docs/.

    python -m tests.support.screenshots [--wait 20]

Runs the demo in a fresh temporary home (its own `demo.db`), under Pilot, as
`r2tui --demo` would show it; nothing outside the temporary folder is touched
but the two SVG files."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
SIZES = {"demo.svg": (120, 30), "demo-80x24.svg": (80, 24)}


async def shoot(name: str, size: tuple[int, int], wait: float) -> None:
    from r2tui.config import load_config
    from r2tui.store import open_store
    from r2tui.tui.app import build_app

    config = load_config(None, None, demo=True)
    store = open_store(config.store_url)
    app = build_app(config, store)
    async with app.run_test(size=size) as pilot:
        for _ in range(2400):
            await pilot.pause(0.05)
            d = app.dashboard
            if d is not None and len(d.storage.buckets) == 5:
                break
        else:
            raise SystemExit(f"{name}: the demo listed no five buckets in 120 s")
        await pilot.pause(wait)
        app.save_screenshot(filename=name, path=str(DOCS))
        await pilot.press("q")
    store.close()
    print(f"wrote {DOCS / name} ({size[0]}x{size[1]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=20.0, help="seconds after the listing")
    parser.add_argument("--one", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one process per screenshot: a process opens one store
        asyncio.run(shoot(args.one, SIZES[args.one], args.wait))
        return
    for name in SIZES:
        with tempfile.TemporaryDirectory() as home:
            env = {
                **os.environ,
                "HOME": home,
                "XDG_DATA_HOME": str(Path(home) / ".local/share"),
                "XDG_CONFIG_HOME": str(Path(home) / ".config"),
                "XDG_STATE_HOME": str(Path(home) / ".local/state"),
            }
            cmd = [sys.executable, "-m", "tests.support.screenshots", "--one", name]
            subprocess.run([*cmd, "--wait", str(args.wait)], env=env, check=True)


if __name__ == "__main__":
    main()
