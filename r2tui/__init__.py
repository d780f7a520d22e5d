"""r2tui: a terminal dashboard that watches Cloudflare R2."""

__version__ = "0.1.0"
