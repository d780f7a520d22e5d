"""The `r2tui` command line: one module per command group (`collect`,
`status`, `history`, `config`, `locate`, `estimate`, `report`, `rules`,
`silences`, `alerts`, `notify`), each with `add_parser` and `run`; `main`
parses and dispatches. Every command prints through `r2tui.output`."""

from r2tui.cli.main import main

__all__ = ["main"]
