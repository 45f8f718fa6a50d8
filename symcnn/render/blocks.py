"""Repeated blocks of layers, found so that a page works a block out once and lists its repeats compactly.

Two layer calls have the same *structure* when they are of the same type, with the same
arguments, fed from the same relative positions (the same wiring); they are *identical*
when their input shapes agree too. :func:`sections` cuts a model's layers into layers to work
out and runs of repeated blocks to list: identical repeats always, and repeats of the same
structure as well on a big page (DenseNet's dense blocks, ResNet's identity blocks), where
a block is worked out the first time its structure appears.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((16,)), L.Dense(16), L.Dense(16), L.Dense(16), L.Dense(4)])
>>> [(s.kind, s.start, s.period, s.count) for s in sections(m.records[1:])]
[('work', 0, 1, 1), ('repeat', 1, 1, 2), ('work', 3, 1, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..record import LayerRecord

__all__ = ["BIG_PAGE", "Section", "block_label", "sections"]

BIG_PAGE = 60  # layers: above this, repeats of the same structure are listed too, not only identical ones
MAX_PERIOD = 48  # the longest block looked for (InceptionResNet's blocks have about 20 layers)


@dataclass(frozen=True)
class Section:
    """``work``: layers [start, start + period) worked out one by one. ``repeat``: ``count`` blocks of
    ``period`` layers from ``start``, each like the block at ``like`` (worked out earlier on the page).
    ``like`` (big pages): ``period`` single layers from ``start``, each of the same type and settings as
    a layer worked out earlier, the one at ``likes[i]`` (the same formulas, other sizes)."""

    kind: str
    start: int
    period: int = 1
    count: int = 1
    like: int = -1
    likes: tuple[int, ...] = ()

    @property
    def stop(self) -> int:
        return self.start + self.period * self.count


def _signature(rec: LayerRecord, index: int, position: dict[str, int], shapes: bool) -> tuple[Any, ...]:
    hp = sorted((k, repr(v)) for k, v in rec.layer.hyperparameters().items())
    wiring = tuple(index - position.get(n, -1) for n in rec.inputs)  # model inputs sit just before the list
    key: tuple[Any, ...] = (rec.type, tuple(hp), rec.layer.trainable, wiring, rec.shared_with is not None)
    return (*key, repr(rec.input_shapes)) if shapes else key


def _ids(records: Sequence[LayerRecord], shapes: bool) -> list[int]:
    position = {r.name: i for i, r in enumerate(records)}
    table: dict[tuple[Any, ...], int] = {}
    return [table.setdefault(_signature(r, i, position, shapes), len(table)) for i, r in enumerate(records)]


def _run(ids: list[int], i: int, p: int) -> int:
    """How many times the block ids[i:i+p] repeats back to back from i."""
    count = 1
    while ids[i + count * p: i + (count + 1) * p] == ids[i: i + p]:
        count += 1
    return count


def _prefix(names: Sequence[str]) -> int:
    first = names[0]
    n = 0
    while n < len(first) and all(len(s) > n and s[n] == first[n] for s in names):
        n += 1
    return n


def _best(ids: list[int], names: list[str], i: int) -> tuple[int, int, int]:
    """(start, period, count) of the run of repeats at i, possibly moved a little later so that its blocks
    line up with the layers' names (conv2_block2_1_conv … conv2_block2_out); count 1 if none starts at i."""
    best, best_key = (i, 1, 1), (0, 0, 0)
    for p in range(1, min(MAX_PERIOD, (len(ids) - i) // 2) + 1):
        if ids[i] != ids[i + p] or ids[i: i + p] != ids[i + p: i + 2 * p]:
            continue
        count = _run(ids, i, p)
        key = (p * count, _named(names, i, p, count), -p)
        if key > best_key:
            best, best_key = (i, p, count), key
    start, p, count = best
    if count < 2:
        return best
    for shift in range(1, p):  # the same run, with each block starting a little later
        s = start + shift
        c = _run(ids, s, p) if s + 2 * p <= len(ids) else 1
        if c >= 2 and (_named(names, s, p, c), c) > (_named(names, *best), best[2]):
            best = (s, p, c)
    return best


def _named(names: list[str], start: int, p: int, count: int) -> int:
    """How much of their names the layers of each block share (the least over the blocks)."""
    return min(_prefix(names[start + k * p: start + (k + 1) * p]) for k in range(count))


def sections(records: Sequence[LayerRecord]) -> list[Section]:
    """The page's order of worked layers and listed repeats, for the non-input ``records`` of a model."""
    big = len(records) > BIG_PAGE
    ids = _ids(records, shapes=not big)
    names = [r.name for r in records]
    out: list[Section] = []
    worked_blocks: dict[tuple[int, ...], int] = {}
    i = 0
    while i < len(records):
        start, p, count = _best(ids, names, i)
        if count < 2:
            out.append(Section("work", i))
            i += 1
            continue
        for j in range(i, start):
            out.append(Section("work", j))
        block = tuple(ids[start: start + p])
        if block in worked_blocks:
            out.append(Section("repeat", start, p, count, worked_blocks[block]))
        else:
            worked_blocks[block] = start
            out.append(Section("work", start, p))
            out.append(Section("repeat", start + p, p, count - 1, start))
        i = start + p * count
    return _likes(records, out) if big else out


def _kind(rec: LayerRecord) -> tuple[Any, ...]:
    """What decides a layer's formulas: its type and its non-numeric settings (padding, use_bias ...), not its sizes."""
    settings = sorted((k, v) for k, v in rec.layer.hyperparameters().items() if isinstance(v, (str, bool)))
    shapes = tuple(len(s) for s in rec.input_shapes)
    return (rec.type, tuple(settings), rec.layer.trainable, shapes, rec.shared_with is not None)


def _likes(records: Sequence[LayerRecord], plan: list[Section]) -> list[Section]:
    """On a big page, a single layer whose formulas were worked out before (same type and settings) is listed."""
    first: dict[tuple[Any, ...], int] = {}
    out: list[Section] = []
    run: list[tuple[int, int]] = []

    def flush() -> None:
        if run:
            out.append(Section("like", run[0][0], len(run), likes=tuple(j for _, j in run)))
            run.clear()

    for section in plan:
        if section.kind == "repeat" and section.period == 1:  # a run of one layer repeated: each is like the first
            if not run or run[-1][0] != section.start - 1:
                flush()
            run.extend((i, section.like) for i in range(section.start, section.stop))
            continue
        if section.kind != "work":
            flush()
            out.append(section)
            continue
        for i in range(section.start, section.stop):
            key = _kind(records[i])
            if key in first and (not run or run[-1][0] == i - 1):
                run.append((i, first[key]))
                continue
            flush()
            if key in first:
                run.append((i, first[key]))
                continue
            first[key] = i
            out.append(Section("work", i))
    flush()
    return out


def block_label(names: Sequence[str]) -> str:
    """A block's name: the common prefix of its layers' names (``conv2_block2``), or ``first … last``."""
    n = _prefix(names)
    prefix = names[0][:n].rstrip("_/.-")
    if len(names) == 1:
        return names[0]
    if len(prefix) >= 3 and any(ch.isdigit() for ch in prefix):
        return prefix
    return f"{names[0]} … {names[-1]}"
