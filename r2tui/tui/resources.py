"""Find the Textual CSS: inside the installed wheel, or at the top of a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def styles_dir() -> Path:
    packaged = resources.files("r2tui") / "styles"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "styles"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"r2tui's styles are missing (looked in {packaged} and {checkout}); reinstall r2tui"
    )


def style(name: str) -> Path:
    return styles_dir() / name
