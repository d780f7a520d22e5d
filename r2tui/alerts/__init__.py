"""Alert rules, their engine, channels and outbox (the alerts issue)."""
