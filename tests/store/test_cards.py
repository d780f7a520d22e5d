"""The Metrics pane's cards as the store makes them: nine, in order, and a
latency card's line from the last hour's probe runs before two hourly points
exist (a fresh account, the demo's first hour), over a real SQLite file."""

from __future__ import annotations

from r2tui.store import Store, history
from r2tui.store.queries import CARDS, metrics_view
from r2tui.store.writes import SampleRow, add_samples
from tests.support.tui_data import NOW, fill


def test_nine_cards_and_a_young_latency_card_draws_its_probe_runs(store: Store) -> None:
    fill(store)  # one probe run, five minutes ago
    for i in range(1, 5):  # four more in the last hour, on two buckets
        for bucket in ("media", "site"):
            add_samples(
                store,
                "test",
                [
                    SampleRow("probe_put_ms", 40 + i, bucket),
                    SampleRow("probe_get_ms", 20 + i, bucket),
                ],
                ts=NOW - 300 - i * 600,
            )
    view = metrics_view(store, "test", NOW, analytics=False)
    assert [c.metric for c in view.cards] == [m for m, _ in CARDS]
    assert [c.metric for c in view.cards][4:] == [
        "class_a_ops",
        "class_b_ops",
        "error_rate_pct",
        "avg_response_ms",
        "p95_response_ms",
    ]
    cards = {c.metric: c for c in view.cards}
    for metric in ("avg_response_ms", "p95_response_ms"):
        assert len(cards[metric].spark) == 5, metric  # one point per probe run
        assert cards[metric].spark_span == history.RECENT_SPAN
    # The runs oldest first: the account's mean over both buckets' PUT and GET.
    assert cards["avg_response_ms"].spark[0] == (44 + 24) / 2
    # A storage card keeps its hourly line (one point: too short to draw) and span.
    assert cards["total_bytes"].spark_span == history.SPARK_SPAN
    # A counter's samples are hourly already: no probe runs for it.
    assert history.recent_runs(store, "test", "class_a_ops", now=NOW) == []
