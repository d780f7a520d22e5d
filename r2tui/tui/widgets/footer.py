"""The key footer, built again only when the keys it shows change.

Textual's Footer composes all its keys again whenever a screen's bindings may
have changed: every move of the focus, every screen shown. Most of those show
the same keys: the main screen's footer was built three times at each start
(about a fifth of the start's work under Pilot), and again at each tab. This
one compares what it would show with what it shows, and builds again only
when they differ. Its keys also come with the compact style set, rather than
each restyling itself once mounted."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

# A private module: textual.widgets exports no type for Footer's keys, and this
# footer sets their compact class as it yields them.
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    def __init__(self, *children: Widget, compact: bool = False, **kwargs: Any) -> None:
        super().__init__(*children, compact=compact, **kwargs)
        self._shown: object = None  # what the keys were built from; None: nothing yet
        self._pending = False  # a build is on its way: it reads the newest bindings

    def _keys(self) -> object:
        """Everything Footer.compose reads, as a value to compare."""
        # Footer's own private flag (set by bindings_changed): Textual has no public
        # way to ask whether a screen's bindings were reported yet.
        if not self._bindings_ready:
            return None
        app = self.app
        active = self.screen.active_bindings
        keys = [
            (binding, enabled, tooltip, app.get_key_display(binding))
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        ]
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        if palette is None or not (self.show_command_palette and app.ENABLE_COMMAND_PALETTE):
            return keys, None
        return keys, (*palette[1:], app.get_key_display(palette[1]))

    def compose(self) -> ComposeResult:
        self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Footer.bindings_changed, but no build when one is on its way or the
        # keys are those shown.
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen and self._keys() != self._shown:
            self._pending = True
            self.call_after_refresh(self._build)

    async def _build(self) -> None:
        self._pending = False
        await self.recompose()
