"""Fitting a line to its width: whole words cut from the end, or the first of
several wordings (fullest first) that fits. Never a word cut in the middle."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from r2tui.literal import ELLIPSIS
from r2tui.tui.widgets.text import set_text

# Punctuation left hanging before the ellipsis reads badly: "failed: …".
_TRAILING = " ,;:(·-–—"


def words(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells: whole, or the words that fit and
    an ellipsis; just the ellipsis when not one word fits (and "" for no room)."""
    if cell_len(text) <= cells:
        return text
    if cells < 1:
        return ""
    room = cells - cell_len(ELLIPSIS)
    cut = ""
    for word_end in (i for i, ch in enumerate(text) if ch == " "):
        head = text[:word_end].rstrip(_TRAILING)
        if cell_len(head) > room:
            break
        cut = head
    return (cut + ELLIPSIS) if cut else ELLIPSIS


def first_fit(width: int, wordings: Iterable[Text]) -> Text:
    """The first wording as wide as `width` at most; the last (the tersest) when
    none is, cut with an ellipsis by whoever shows it."""
    last = Text()
    for last in wordings:
        if last.cell_len <= width:
            return last
    return last


class Fitted(Static):
    """A one-line Static that shows the fullest of its wordings its width holds,
    and chooses again when resized."""

    def __init__(self, *wordings: Text, id: str | None = None) -> None:
        super().__init__(wordings[0] if wordings else "", id=id)
        self.wordings: tuple[Text, ...] = wordings

    def show(self, *wordings: Text) -> None:
        self.wordings = wordings
        self._choose(self.size.width)

    def on_resize(self, event: Resize) -> None:
        self._choose(event.size.width)

    def _choose(self, width: int) -> None:
        if self.wordings:
            # Before the first layout (no width yet): the fullest.
            set_text(self, first_fit(width or 10**6, self.wordings))
