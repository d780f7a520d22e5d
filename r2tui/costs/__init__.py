"""R2's costs: a month of usage turned into money. Month to date, each day's
share, the forecast and its range, the free tier's burn-down, spikes, savings,
and the view the Cost pane, the reports and `status --json` read. Pure but for
the two reads of the store: `usage` (the month's raw usage, as the bill counts
it) and `view` (what the calculate_costs job stored, as `samples` made it).

The modules, from the bottom: `bill` (the price model: usage priced by R2's
rules, exact in decimal; the prices are `r2tui.pricing`), `usage`, `levels`
(what a bucket stores each day), `daily_usage`, `basis` (measured or
estimated), `forecast`, `spikes`, `free_tier`, `figures` (what the month's
calculation gives), `allocation` (the bill split between buckets), `savings`,
`month` (the month put together), `samples` and `view`.

How each figure is defined (docs/costs.md says the same):

- Storage per bucket and UTC day is that day's peak bytes; a day without a
  sample carries the previous day's level (the data is still there). Each
  storage class's peak is measured where Cloudflare's analytics said the class
  (a bucket holding both has one row per class); else the day's peak is split
  by the Infrequent Access share of the bucket's last listing (estimated).
- Requests to IA objects are counted where the analytics said each request's
  storage class (measured), else the listing's IA share of objects is applied
  (estimated). IA retrieval is the bytes successful GETs of IA objects sent,
  where the analytics gave byte sums too (measured), else GETs x the IA share
  of bytes x the mean object size (estimated).
- Each bucket's bill says, per kind of charge, whether its usage was measured,
  estimated or partly either (`Basis`).
- Month to date is the bill (free tier, rounding up) of the month's usage so
  far, summed over buckets. Each day's cost is what that day added to it, so
  the days sum to the month to date; the daily average is the month to date
  over the days elapsed.
- The forecast bills the usage the month reaches if requests keep the pace of
  the last 7 days and storage stays where it is; the low end takes the
  quietest of those days and no growth, the high end the busiest day and the
  storage growth of the last 7 days continued.
- A spike compares the last 24 hours' cost at list price (no free tier) with
  the mean of the 7 days before.
"""
