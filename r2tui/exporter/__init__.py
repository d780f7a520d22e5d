"""The Prometheus exporter: `/metrics` in Prometheus' text format and
`/healthz`, read from the store at each scrape (`r2tui exporter`,
`r2tui collect --exporter`).

- `naming`: each catalog metric's Prometheus name, type, unit and scale;
- `readings`: every store read a scrape makes, as plain data;
- `liveness`: whether an account's collector is alive (`collector_alive`);
- `families`: the `prometheus_client` collector that turns a reading into metric families;
- `server`: the HTTP server (`/metrics`, `/healthz`).

It sits beside the TUI, above the jobs and the scheduler, and never imports Textual.
"""
