"""Find the Textual CSS, which lives in `styles/` at the top of the repository.

One lookup, relative to the `r2tui` package that is imported, serves every way of
running r2tui:

- a wheel: the build copies `styles/` into the package (`r2tui/styles`, the
  wheel's `force-include` in pyproject.toml), so it sits inside the package;
- a checkout (`python -m r2tui` from a clone) and an editable install
  (`pip install -e .`): the package imported is the checkout's own `r2tui/`, so
  `styles/` sits beside it and an edit to a `.tcss` file shows on the next start.
  (An editable install also copies the styles into site-packages; that copy is
  never read, since `r2tui` itself is imported from the checkout.)
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]

# Inside the package first (a wheel), then beside it (a checkout or an editable install).
_CANDIDATES = (_PACKAGE / "styles", _PACKAGE.parent / "styles")


def styles_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    looked = " and ".join(str(c) for c in _CANDIDATES)
    raise FileNotFoundError(f"r2tui's styles are missing (looked in {looked}); reinstall r2tui")


def style(name: str) -> Path:
    return styles_dir() / name
