"""The alerting settings as loaded: channels, automated responses, maintenance
windows and the engine's defaults. Plain data; `r2tui.config.alerting` reads
them from the file and checks every field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from r2tui.config.secrets import Secret

CHANNEL_TYPES = ("email", "webhook", "slack")
SMTP_SECURITY = ("starttls", "tls", "none")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ChannelConfig:
    """Where notifications go. The URL of a Slack or generic webhook often carries
    its token, so it is a Secret like a password: never shown, logged or stored."""

    name: str
    type: str  # one of CHANNEL_TYPES
    url: Secret | None = None  # webhook, slack
    headers: tuple[tuple[str, str], ...] = ()  # webhook: extra request headers
    host: str = ""  # email
    port: int = 587
    security: str = "starttls"  # one of SMTP_SECURITY
    username: str | None = None
    password: Secret | None = None
    sender: str = ""
    to: tuple[str, ...] = ()
    timeout: float = 10.0

    def describe(self) -> str:
        """What the channel is, safe to show: never its URL or password."""
        if self.type == "email":
            return f"e-mail to {', '.join(self.to)} via {self.host}:{self.port}"
        return f"{self.type} ({self.url.source if self.url else 'no URL'})"


@dataclass(frozen=True)
class ResponseConfig:
    """An automated response a rule may name: a command (an argument list, run
    without a shell, the alert as JSON on stdin) or a URL the alert is POSTed to.
    Defined only in the config file: a rule in a shared store can name one but
    never say what runs."""

    name: str
    command: tuple[str, ...] = ()
    url: Secret | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class MaintenanceWindow:
    """A recurring time when notifications hold still: on `weekdays`, from
    `start` to `end` (minutes after local midnight; an end at or before the
    start runs past midnight into the next day), in `timezone`. `matchers`
    narrow it to some alerts; none means every alert."""

    name: str
    weekdays: tuple[int, ...]  # 0 = Monday
    start: int
    end: int
    timezone: str = "UTC"
    matchers: tuple[tuple[str, str, str], ...] = ()  # (label, op, value)

    def active(self, now: float) -> bool:
        local = datetime.fromtimestamp(now, ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        if self.start < self.end:
            return today in self.weekdays and self.start <= minute < self.end
        # Past midnight: the part after midnight belongs to the day before.
        return (today in self.weekdays and minute >= self.start) or (
            (today - 1) % 7 in self.weekdays and minute < self.end
        )


@dataclass(frozen=True)
class AlertSettings:
    repeat_interval: int = 4 * 3600  # a still-firing alert is sent again this often
    max_per_hour: int = 5  # notifications per rule and hour before they are held back
    default_channels: tuple[str, ...] = ()  # for rules that name none
    # Outbox: attempts before a notification is dead-lettered, and the backoff.
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    maintenance: tuple[MaintenanceWindow, ...] = ()
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    responses: dict[str, ResponseConfig] = field(default_factory=dict)
