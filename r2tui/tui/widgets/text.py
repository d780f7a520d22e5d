"""Putting new text in a Static without laying the whole screen out again.

Static.update asks for a layout of the screen by default, as a new text may
change the widget's size: every widget of the main screen is arranged again
on the UI thread (33 ms a layout under cProfile), and the header alone changes
once a second. During a 1,000,000-object inventory that was about 70 layouts,
where the longest gaps between frames fell (bench/README.md).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def set_text(widget: Static, content: str | Text) -> None:
    """Show `content` in `widget`: nothing at all when it shows that already, a
    repaint without a layout when its size stays: a width no text changes, and
    a set height, or one that follows the text and comes out the same (the new
    text takes as many lines at that width: a summary line whose numbers
    change)."""
    if _same(widget.content, content):
        return
    if not fixed_width(widget):
        widget.update(content)
        return
    if not _auto_height(widget):
        widget.update(content, layout=False)
        return
    # (For a widget scrolled out of view, reading its size makes Textual map the
    # whole screen: no dearer than the layout this may save.)
    height = widget.size.height
    widget.update(content, layout=False)
    if not height or _lines_at_width(widget) != height:
        widget.refresh(layout=True)


def _same(shown: object, new: str | Text) -> bool:
    if isinstance(new, str):
        return type(shown) is str and shown == new
    # Text's == compares the characters and spans only, not the base style.
    return (
        isinstance(shown, Text)
        and shown.plain == new.plain
        and shown.spans == new.spans
        and (shown.style, shown.justify, shown.overflow, shown.no_wrap, shown.end)
        == (new.style, new.justify, new.overflow, new.no_wrap, new.end)
    )


def fixed_size(widget: Static) -> bool:
    """Whether no text can change the widget's size: a set height that is not
    `auto`, and a width no text changes (fixed_width)."""
    return not _auto_height(widget) and fixed_width(widget)


def fixed_width(widget: Static) -> bool:
    """A set width that is not `auto`, or none in a vertical container whose own
    width does not follow its content (it gives the widget its width)."""
    width = widget.styles.width
    if width is not None:
        return not width.is_auto
    parent_styles = getattr(widget.parent, "styles", None)
    if parent_styles is None or parent_styles.layout is None:
        return False
    # A container as wide as its widest line would widen with the text.
    parent_width = parent_styles.width
    return parent_styles.layout.name == "vertical" and not (parent_width and parent_width.is_auto)


def _auto_height(widget: Static) -> bool:
    height = widget.styles.height
    return height is None or height.is_auto


def _lines_at_width(widget: Static) -> int:
    """The content's height at the widget's present width, as Textual's layout
    measures it (the content was just replaced, so nothing cached is reused;
    a Static's height depends on its width only)."""
    size = widget.size
    return widget.get_content_height(size, size, size.width)
