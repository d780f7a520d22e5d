"""The commented starter file that `r2tui config init` writes."""

STARTER = """\
# r2tui configuration. Every key is optional unless marked; the values shown
# are the defaults. Secrets never need to live in this file: name an
# environment variable (NAME_env) or a file (NAME_file) instead. Every number
# has a range a person would set (`r2tui config check` names it when one is
# out of it): durations up to 10 years, timeouts up to an hour.

# Time zone for cron schedules and for "today" on screen (IANA name). Reports
# cover UTC days and months, so their cron lines are read in UTC.
timezone = "UTC"
# How often the TUI re-reads the store, in seconds ("+" and "-" change it live).
refresh_seconds = 5

[store]
# Any Peewee database URL. Default: SQLite in the user data folder.
# A team can share one PostgreSQL store: "postgresql://user@host:5432/r2tui".
# url = "sqlite:////home/me/.local/share/r2tui/r2tui.db"

[collector]
# Processes sharing a store run one collector per account: the one holding the
# lease; the others show what it does. Another takes over when the holder has
# not renewed for this long (1 to 3600 s).
lease_seconds = 60
# How long a stop waits for running jobs before it leaves them (at most 600 s).
stop_seconds = 10

[schedule]
# An interval ("30s", "5m", "6h", "1d") or a five-field cron line that fires
# (a date such as 31 February never comes, and is refused).
collect_metrics = "5m"
inventory = "0 3 * * *"        # a full listing costs one Class A op per 1,000 keys
rollup = "15m"                 # hourly and daily history; applies [retention]
calculate_costs = "0 */6 * * *"
check_alerts = "1m"
daily_report = "0 0 * * *"     # UTC
monthly_report = "0 0 1 * *"   # UTC

[inventory]
top_n = 20                     # largest objects kept per bucket
newest_n = 20                  # newest objects kept per bucket
large_object = "1 GB"          # new objects above this size are reported
max_extensions = 500           # distinct file types tracked per bucket
concurrency = 16               # key ranges listed at once, at most (1 = one after another)
prefix_depth = 3               # folder levels ("logs/2026/") counted by the listing (0: none)
prefix_entries = 2000          # largest folders kept per bucket; the rest count in their parent

[retention]
# Days, from 1 to 36500 (100 years).
job_runs_days = 30
events_days = 90
inventories_kept = 14          # detailed breakdowns kept per bucket
samples_days = 14              # raw samples (every collection run)
hourly_days = 90               # hourly rollups
daily_days = 1825              # daily rollups

[s3]
# Seconds; a request without an answer is given up after max_attempts tries
# (about a minute with these), and the header says whom it waits for meanwhile.
connect_timeout = 5
read_timeout = 20
max_attempts = 3

[pricing]
# Override Cloudflare's public R2 prices (USD) or free tier, e.g. for a
# negotiated rate; unset keys keep the list price. `r2tui estimate` shows them.
# standard_storage_gb_month = 0.015
# standard_class_a_per_million = 4.50
# standard_class_b_per_million = 0.36
# ia_storage_gb_month = 0.01
# ia_class_a_per_million = 9.00
# ia_class_b_per_million = 0.90
# ia_retrieval_per_gb = 0.01
# free_storage_gb_month = 10
# free_class_a = 1000000
# free_class_b = 10000000
# bytes_per_gb = 1000000000    # R2 counts decimal gigabytes
# billing_period_days = 30
# ia_minimum_days = 30

[costs]
# A cost spike: the last 24 hours at least spike_pct above the mean day of the
# spike_baseline_days before, and at least spike_min_usd more.
# spike_baseline_days = 7
# spike_pct = 50
# spike_min_usd = 1.00

[alerts]
# Rules live in the store: `r2tui rules list`, or press r in the app.
# default_channels = ["ops"]   # for rules that name no channel
# repeat_interval = "4h"       # resend a still-firing alert this often
# max_per_hour = 5             # per rule and channel; the rest are summarised later
# [[alerts.maintenance]]
# name = "nightly backup"
# weekdays = ["mon", "tue", "wed", "thu", "fri"]
# start = "22:00"
# end = "02:00"
# timezone = "Europe/Berlin"
# matchers = ["bucket=~backup-.*"]

# [channels.ops]               # e-mail; or type = "webhook" / "slack" with url_env
# type = "email"
# host = "smtp.example.com"
# port = 587
# security = "starttls"        # or "tls", "none"
# username = "alerts"
# password_env = "SMTP_PASSWORD"
# from = "r2tui <r2tui@example.com>"   # or just the address; any display name
# to = ["oncall@example.com"]
# An address with a non-ASCII domain is sent as IDNA; one with a non-ASCII
# name before the @ needs a server that offers SMTPUTF8.

[reports]
# E-mail channels (from [channels]) that get each daily and monthly report, as
# HTML with a plain-text part. Sent through the same outbox as alerts, so a
# report survives a restart and is retried; reports are not alerts, so no
# rate limit, grouping, silence or maintenance window holds them. Default: none.
# channels = ["ops"]

[accounts.main]
# Required: your Cloudflare account id (dashboard -> R2 -> Account ID, 32 hex
# characters), or endpoint_url for another S3-compatible endpoint.
account_id = "PUT-YOUR-ACCOUNT-ID-HERE"
# jurisdiction = "eu"          # for EU-jurisdiction buckets
# endpoint_url = "https://<account_id>.r2.cloudflarestorage.com"
region = "auto"
# An R2 API token's S3 credentials (read-only is enough unless probes are on).
# Default: the R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY environment variables.
access_key_id_env = "R2_ACCESS_KEY_ID"
secret_access_key_env = "R2_SECRET_ACCESS_KEY"
# secret_access_key_file = "~/.config/r2tui/secret"
# profile = "r2"               # or an AWS credentials profile
# A Cloudflare API token with Account Analytics: Read (optional).
# api_token_env = "CLOUDFLARE_API_TOKEN"
include = ["*"]                # bucket name globs to watch
exclude = []
# quota = "1 TB"               # show used versus quota

[accounts.main.probe]
# A canary per bucket: PUT, GET, HEAD and DELETE a tiny object under prefix.
# Needs write access; costs 1 Class A and 2 Class B operations per bucket a run.
enabled = false
buckets = ["*"]
prefix = ".r2tui-probe/"
# Probe requests a month (4 a probe), from 4 to 10,000,000,000. Default 400,000:
# 100,000 probes, a tenth of the free tier's Class A requests. When it cannot
# pay for every bucket at every run, buckets take turns (each less often); those
# a rule on a probe metric names, or with errors in the last hour, are probed
# at every run. `r2tui estimate --probe-buckets N` prices a budget.
requests_per_month = 400000

[keymap]
# Rebind any key by its binding id (see `?` in the app), e.g.:
# "app.refresh" = "space,f5"
"""
