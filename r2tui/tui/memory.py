"""Keeping the garbage collector off what lives as long as the app."""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Move what exists now (modules, widgets, botocore's models) out of the
    garbage collector's reach. A full collection otherwise walks all of it
    again and again while an inventory allocates pages: a pause of 150 ms on
    the UI thread, measured during a 1,000,000-object listing. (No collection
    first: that would be the very pause this avoids.)"""
    gc.freeze()
