"""`r2tui du BUCKET[/PREFIX] [--depth N] [--json]`: where a bucket's bytes are,
prefix by prefix, from its latest inventory (no request to R2): size, share of
the prefix above, objects, and growth since the previous inventory and over 7
and 30 days. The tree is the Folders screen's (`u` in the Storage pane; `store.prefixes`)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from r2tui.cli.args import account_name
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, fail
from r2tui.literal import quoted, visible
from r2tui.output import say, say_json
from r2tui.units import human_bytes

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store
    from r2tui.store.prefixes import PrefixNode, PrefixTree

INDENT = 2  # columns per level in the text tree


def add_parser(sub: Subcommands, common: Parser) -> None:
    du = sub.add_parser(
        "du",
        parents=[common],
        help="print where a bucket's bytes are, prefix by prefix, with what grew",
        description="Sizes per prefix from the latest inventory, as the Storage pane's "
        "Folders screen (u) shows them: prefixes counted to [inventory] prefix_depth, the largest "
        "prefix_entries kept; the rest is in each prefix's (other).",
    )
    du.add_argument(
        "path",
        metavar="BUCKET[/PREFIX]",
        type=_path,
        help="a bucket, or a prefix in it: photos or photos/2026/ (the last / is optional)",
    )
    du.add_argument(
        "--depth",
        type=_depth,
        default=None,
        metavar="N",
        help="levels shown below BUCKET[/PREFIX] (default: every level kept; 0: itself)",
    )
    du.add_argument("--json", action="store_true", help="as one JSON document, exact figures")


def _path(text: str) -> tuple[str, str]:
    bucket, _, prefix = text.partition("/")
    if not bucket:
        raise argparse.ArgumentTypeError(
            f"expected BUCKET or BUCKET/PREFIX such as photos/2026/, got {quoted(text)}"
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def _depth(text: str) -> int:
    if text.isdigit() and len(text) <= 3:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a whole number from 0, got {quoted(text)}")


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    # Start-up: the store's reads load only when this command runs.
    from r2tui.store.prefixes import NoSuchPrefix, bucket_tree

    bucket, prefix = args.path
    try:
        tree = bucket_tree(store, account_name(args, config), bucket)
    except NoSuchPrefix as exc:
        return fail("du", visible(str(exc)), EXIT_FAILED)
    node = tree.find(prefix)
    if node is None:
        return fail("du", visible(missing(tree, prefix)), EXIT_FAILED)
    share = node.bytes / tree.root.bytes if tree.root.bytes else 0.0
    if args.json:
        say_json(document(tree, node, args.depth))
        return EXIT_OK
    when = datetime.fromtimestamp(tree.inventoried_at).astimezone().strftime("%Y-%m-%d %H:%M")
    counted = (
        f"prefixes counted {tree.depth} levels deep"
        if tree.depth
        else "prefixes not counted: [inventory] prefix_depth = 0, or an older listing"
    )
    left_out = f", {tree.dropped:,} smaller ones in (other)" if tree.dropped else ""
    say(
        f"{visible(bucket)}/{visible(prefix)}: {human_bytes(node.bytes)} in "
        f"{node.objects:,} objects, listed {when} ({counted}{left_out})"
    )
    say(
        f"{'SIZE':>9} {'SHARE':>6} {'OBJECTS':>11} {'SINCE LAST':>11} {'7 DAYS':>10} "
        f"{'30 DAYS':>10}  PREFIX"
    )
    for line in lines(node, share, args.depth, top=f"{bucket}/{prefix}"):
        say(line)
    return EXIT_OK


def missing(tree: PrefixTree, prefix: str) -> str:
    """Why `prefix` is not shown, naming the prefixes there are instead."""
    near = tree.nearest(prefix)
    where = f"under {quoted(near.prefix)}" if near.prefix else "at the top"
    names = ", ".join(quoted(c.name) for c in near.children[:20])
    more = f" and {len(near.children) - 20:,} more" if len(near.children) > 20 else ""
    kept = f"{where}: {names}{more}" if names else f"no prefix is kept {where}"
    why = []
    if tree.dropped:
        why.append(f"{tree.dropped:,} smaller prefixes are counted in their parent's (other)")
    if prefix.count("/") > tree.depth:
        why.append(f"prefixes are counted {tree.depth} levels deep")
    return f"no prefix {quoted(prefix)} in bucket {quoted(tree.bucket)}; {kept}" + (
        f" ({'; '.join(why)})" if why else ""
    )


def _signed(n: int | None) -> str:
    if n is None:
        return "–"
    if n == 0:
        return "0"
    return ("+" if n > 0 else "-") + human_bytes(abs(n))


def _row(size: int, share: float, objects: int, growth: tuple[str, str, str], name: str) -> str:
    return (
        f"{human_bytes(size):>9} {share:>6.1%} {objects:>11,} {growth[0]:>11} "
        f"{growth[1]:>10} {growth[2]:>10}  {name}"
    )


def lines(
    node: PrefixNode, share: float, depth: int | None, level: int = 0, top: str = ""
) -> list[str]:
    """`node` and what is under it, `depth` levels down: its kept prefixes largest
    first, then its own files and (other), the prefixes not kept. `top` names the
    first line (the whole path), its children their last part."""
    g = node.growth
    pad = " " * (INDENT * level)
    name = visible(top or node.name)
    out = [
        _row(
            node.bytes,
            share,
            node.objects,
            (_signed(g.since_previous), _signed(g.week), _signed(g.month)),
            pad + name,
        )
    ]
    if depth is not None and depth <= 0:
        return out
    below = None if depth is None else depth - 1
    whole = node.bytes
    for child in node.children:
        out += lines(child, child.bytes / whole if whole else 0.0, below, level + 1)
    inner = " " * (INDENT * (level + 1))
    blank = ("", "", "")
    if node.files_objects:
        out.append(
            _row(
                node.files_bytes,
                _part(node.files_bytes, whole),
                node.files_objects,
                blank,
                inner + "(files)",
            )
        )
    if node.other_objects:
        out.append(
            _row(
                node.other_bytes,
                _part(node.other_bytes, whole),
                node.other_objects,
                blank,
                inner + "(other)",
            )
        )
    return out


def _part(size: int, whole: int) -> float:
    return size / whole if whole else 0.0


def document(tree: PrefixTree, node: PrefixNode, depth: int | None) -> dict[str, Any]:
    """The JSON document: exact figures, the whole names."""
    # Start-up: the status module's time format loads with this command only.
    from r2tui.status import iso

    return {
        "account": tree.account,
        "bucket": tree.bucket,
        "prefix": node.prefix,
        "inventoried_at": iso(tree.inventoried_at),
        "previous_inventory_at": iso(tree.previous_at) if tree.previous_at else None,
        "prefix_depth": tree.depth,
        "prefixes_left_out": tree.dropped,
        "depth": depth,
        "tree": node_document(node, _part(node.bytes, tree.root.bytes), depth),
    }


def node_document(node: PrefixNode, share: float, depth: int | None) -> dict[str, Any]:
    below = None if depth is None else depth - 1
    g = node.growth
    return {
        "prefix": node.prefix,
        "name": node.name,
        "bytes": node.bytes,
        "objects": node.objects,
        "share": share,
        "files": {"bytes": node.files_bytes, "objects": node.files_objects},
        "other": {"bytes": node.other_bytes, "objects": node.other_objects},
        "growth": {"since_previous": g.since_previous, "7d": g.week, "30d": g.month},
        "children": []
        if depth is not None and depth <= 0
        else [node_document(c, _part(c.bytes, node.bytes), below) for c in node.children],
    }
