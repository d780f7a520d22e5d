"""A card's figure fits its card: a count too long for it (billions of objects)
shows to three figures, the whole number in its tooltip, and whole again once
the card is wide enough. Other units are never abbreviated."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from r2tui.store.views import MetricCard, Reading
from r2tui.tui.widgets.card import Card
from r2tui.units import human_count
from tests.support.tui import wait_for

BILLIONS = 5_104_047_000.0


class OneCard(App[None]):
    CSS = "Card { width: 18; height: 4; }"

    def compose(self) -> ComposeResult:
        yield Card("total_files", "Total files")


def card(value: float, unit: str = "objects") -> MetricCard:
    return MetricCard(
        "total_files", "Total files", unit, Reading("total_files", value, value * 0.99), [1, 2]
    )


def value_text(app: OneCard) -> str:
    return str(app.query_one(".card-value", Static).render())


async def test_a_count_too_long_for_its_card_shows_to_three_figures() -> None:
    app = OneCard()
    async with app.run_test(size=(60, 10)) as pilot:
        shown = app.query_one(Card)
        shown.show(card(BILLIONS), analytics=True)
        await pilot.pause()
        assert value_text(app).startswith("5.10 bn  ▲")
        assert "5,104,047,000" in str(shown.tooltip)
        shown.styles.width = 40  # room for the whole number: shown whole
        await wait_for(pilot, lambda: value_text(app).startswith("5,104,047,000  ▲"))
        shown.show(card(12_129.0), analytics=True)
        await pilot.pause()
        assert value_text(app).startswith("12,129  ▲")


def test_three_figures_for_every_size_of_count() -> None:
    assert [
        human_count(n)
        for n in (12_129, 99_999, 123_456, 999_999, 12_345_678, 999_999_999, BILLIONS, -2.5e6)
    ] == ["12,129", "99,999", "123 k", "1.00 M", "12.3 M", "1.00 bn", "5.10 bn", "-2.50 M"]
