"""Summarise a py-spy ``--format raw`` (folded stacks) profile: inclusive and self time per frame.

Run: python bench/folded_summary.py PROFILE.folded [--top N] [--match SUBSTRING]
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path


def load(path: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in Path(path).read_text().splitlines():
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r" \(/.*?/(site-packages|src)/", " (", f) for f in stack.split(";")]
        stacks.append((frames, int(count)))
    return stacks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default=None, help="only stacks containing this substring")
    args = parser.parse_args()
    stacks = load(args.profile)
    if args.match:
        stacks = [(f, c) for f, c in stacks if any(args.match in x for x in f)]
    total = sum(c for _, c in stacks)
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f"{total} samples")
    print("-- inclusive --")
    for frame, count in inclusive.most_common(args.top):
        print(f"{100 * count / total:5.1f}%  {frame}")
    print("-- self --")
    for frame, count in own.most_common(args.top):
        print(f"{100 * count / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
