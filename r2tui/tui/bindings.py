"""The app's own keys, apart from the app: the help, the palette and the keymap
check read them without importing the app (which imports them)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

PANES = ("metrics", "cost", "storage", "activity", "alerts")

APP_BINDINGS: list[BindingType] = [
    Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key"),
    Binding("q", "quit", "Quit", id="app.quit", tooltip="Stop the collector and quit"),
    Binding(
        "space",
        "refresh_now",
        "Refresh",
        id="app.refresh",
        tooltip="Collect now (budgeted probes, a full listing), then re-read the store",
    ),
    Binding(
        "p",
        "toggle_pause",
        "Pause",
        id="app.pause",
        tooltip="Pause or resume the scheduled collection",
    ),
    Binding("plus", "faster", "Faster", id="app.faster", tooltip="Re-read the store more often"),
    Binding("minus", "slower", "Slower", id="app.slower", tooltip="Re-read the store less often"),
    Binding(
        "z",
        "zoom",
        "Zoom",
        id="app.zoom",
        tooltip="Fill the screen with the focused pane (again to restore)",
    ),
    Binding(
        "h",
        "history",
        "History",
        id="app.history",
        tooltip="Chart the focused metric card (else storage used) over time; h or escape closes",
    ),
    Binding(
        "R",
        "reports",
        "Reports",
        id="app.reports",
        tooltip="List the daily and monthly reports and read one; escape closes",
    ),
    Binding(
        "r",
        "rules",
        "Rules",
        id="app.rules",
        tooltip="The alert rules with their live state: add, edit, enable, delete, "
        "clone, test, silence, evaluate; escape closes",
    ),
    Binding(
        "A",
        "alert_history",
        "Alerts",
        id="app.alert_history",
        tooltip="The alert history: every alert state change, newest first, "
        "searchable; A or escape closes",
    ),
    Binding(
        "C",
        "accounts",
        "Switch account",
        show=False,  # the footer is full at 120 columns; the help and the palette list it
        id="app.accounts",
        tooltip="Pick the account shown, with each one's health, alerts and collector",
    ),
    Binding(
        "D",
        "deliveries",
        "Deliveries",
        show=False,  # the footer is full: the help and the palette list it
        id="app.deliveries",
        tooltip="The notifications sent to the channels (time, alert, status, channel), "
        "newest first; D or escape closes",
    ),
    Binding(
        "colon",
        "command_line",
        "Command",
        show=False,
        id="app.command_line",
        tooltip="A command line for the palette's commands: :rules, :history METRIC [RANGE] "
        "[BUCKET], :account NAME, :help (tab completes)",
    ),
    *(
        Binding(
            str(i + 1),
            f"focus_pane('{name}')",
            name.title(),
            show=False,
            id=f"app.focus_{name}",
            tooltip=f"Focus the {name.title()} pane",
        )
        for i, name in enumerate(PANES)
    ),
]

# j/k/g/G in every table and list (and scrolling text): bound on the app, they
# act on the widget with the focus, and pass a key on where it has no list (a
# field takes the letter as typed).
LIST_BINDINGS: list[BindingType] = [
    Binding("j", "list_down", "Down", show=False, id="list.down", tooltip="Next row or line"),
    Binding("k", "list_up", "Up", show=False, id="list.up", tooltip="Previous row or line"),
    Binding("g", "list_first", "First", show=False, id="list.first", tooltip="First row or top"),
    Binding("G", "list_last", "Last", show=False, id="list.last", tooltip="Last row or bottom"),
]
