"""The benchmark bucket on disk, for `rclone serve s3`: one sparse file per object.

``os.ftruncate`` gives each file its listed size without writing a byte, so a
bucket holding a terabyte of "objects" uses a few MB of inodes and directories.
A manifest records what was generated; a later run with the same object count
and generator version reuses the folder instead of rebuilding it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_keys import GENERATOR_VERSION, SEED, generate, summary

MANIFEST = "manifest.json"


def _wanted(objects: int) -> dict[str, int]:
    return {"generator_version": GENERATOR_VERSION, "seed": SEED, "objects": objects}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def prepare(
    folder: Path, bucket: str, objects: int, with_files: bool, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Make (or reuse) the data for `objects` objects under `folder`.

    Returns the manifest: the generator's totals, which every listing is checked
    against. With `with_files`, also writes `folder/root/<bucket>/...` as sparse
    files (the rclone layout: bucket = top-level folder of the served root).
    """
    folder.mkdir(parents=True, exist_ok=True)
    old = read_manifest(folder)
    wanted = _wanted(objects)
    root = folder / "root"
    if (
        old is not None
        and all(old.get(k) == v for k, v in wanted.items())
        and (not with_files or old.get("files_complete"))
    ):
        log(f"data: reusing {objects:,} objects in {folder}")
        return old
    if old is None and any(folder.iterdir()):
        # Never delete what this script did not make.
        raise SystemExit(
            f"{folder} is not empty and holds no {MANIFEST} from this benchmark; "
            "give --keep-data an empty or new folder"
        )
    if root.exists():
        shutil.rmtree(root)  # stale data from another object count or generator version
    (folder / MANIFEST).unlink(missing_ok=True)

    t0 = time.perf_counter()
    manifest: dict[str, Any] = {
        **wanted,
        **summary(objects),
        "bucket": bucket,
        "files_complete": False,
    }
    log(
        f"data: {objects:,} objects, {manifest['bytes'] / 1e12:.2f} TB listed, "
        f"{manifest['directories']:,} folders ({time.perf_counter() - t0:.1f} s to generate)"
    )
    if with_files:
        t1 = time.perf_counter()
        _write_sparse(root / bucket, objects)
        manifest["files_complete"] = True
        log(
            f"data: wrote {objects:,} sparse files in {time.perf_counter() - t1:.1f} s "
            f"({objects / (time.perf_counter() - t1):,.0f} files/s)"
        )
    # Written last: an interrupted run leaves no manifest, so the next one starts over.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _write_sparse(base: Path, objects: int) -> None:
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for obj in generate(objects):
        folder, name = obj.key.rsplit("/", 1)
        path = os.path.join(base, folder)
        if path not in made:
            os.makedirs(path, exist_ok=True)
            made.add(path)
        fd = os.open(os.path.join(path, name), flags, 0o644)
        try:
            os.ftruncate(fd, obj.size)  # sparse: the size is real, no block is written
            os.utime(fd, (obj.mtime, obj.mtime))  # rclone lists mtime as LastModified
        finally:
            os.close(fd)
