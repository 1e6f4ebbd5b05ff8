"""Polylines rasterised onto a `textual_hires_canvas.Canvas` with numpy, cell for cell what
`Canvas.draw_hires_lines` draws.

The canvas walks every high-resolution pixel of every segment in Python (Bresenham, then one
`set_pixel` per cell): 10 latency lines of 120 points cost ~15 ms of the UI thread per
update. Here the same pixels come out of array arithmetic: Bresenham's walk has a closed form
(along the major axis, step i moves the minor axis by floor((2 * minor * i + major) /
(2 * major)), ties included), and the cells' sub-pixel bits are OR-ed together with
`np.bitwise_or.at`. The canvas's own clipping and character tables are reused, so a segment
that leaves the canvas and every character drawn are exactly the library's (a test draws both
ways and compares the buffers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from textual_hires_canvas import Canvas, HiResMode
from textual_hires_canvas.hires import hires_sizes, pixels

Clip = Callable[[float, float, float, float], tuple[float, float, float, float] | None]
Floats = NDArray[np.floating[Any]]
Ints = NDArray[np.int64]


def _characters(mode: HiResMode) -> list[str | None]:
    """The canvas's character for each bit mask of a cell's sub-pixels (bit = row * w + col)."""
    table = pixels[mode]
    bits = len(next(iter(table)))
    return [table[tuple((mask >> bit) & 1 for bit in range(bits))] for mask in range(1 << bits)]


_CHARACTERS = {mode: _characters(mode) for mode in HiResMode}


def _clipped(x: Floats, y: Floats, width: int, height: int, clip: Clip) -> Floats:
    """The polyline's segments as rows (x0, y0, x1, y1), clipped to the canvas as it clips."""
    segments = np.column_stack((x[:-1], y[:-1], x[1:], y[1:]))
    xs, ys = segments[:, 0::2], segments[:, 1::2]
    inside = ((xs >= 0) & (xs <= width - 1) & (ys >= 0) & (ys <= height - 1)).all(axis=1)
    if inside.all():
        return segments
    # Rare (a point beyond the axes' limits): those few go through the canvas's own clipping.
    kept = [
        clipped
        for row in segments[~inside]
        if (clipped := clip(float(row[0]), float(row[1]), float(row[2]), float(row[3])))
    ]
    return np.vstack((segments[inside], np.array(kept, dtype=np.float64).reshape(-1, 4)))


def _walk(x0: Ints, y0: Ints, x1: Ints, y1: Ints) -> tuple[Ints, Ints, Ints]:
    """Every pixel of every segment, as the canvas's Bresenham visits them (order aside), and
    the segment each belongs to."""
    run, rise = np.abs(x1 - x0), np.abs(y1 - y0)
    steps = np.maximum(run, rise) + 1
    segment = np.repeat(np.arange(len(steps)), steps)
    step = np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps)
    run, rise = run[segment], rise[segment]
    x_major = run >= rise
    # Along the major axis one pixel a step; the minor axis follows Bresenham's error term.
    minor = np.where(x_major, rise, run)
    major = np.maximum(np.where(x_major, run, rise), 1)
    follow = (2 * minor * step + major) // (2 * major)
    dx = np.where(x_major, step, follow)
    dy = np.where(x_major, follow, step)
    sx = np.where(x0 < x1, 1, -1)[segment]
    sy = np.where(y0 < y1, 1, -1)[segment]
    return x0[segment] + sx * dx, y0[segment] + sy * dy, segment


def draw_hires_polylines(
    canvas: Canvas, lines: Sequence[tuple[Floats, Floats, str]], mode: HiResMode
) -> None:
    """Draw each polyline (x, y, style) through its points (canvas cells, fractional) as
    `draw_hires_lines` would, one after the other (a later line takes a cell it shares with an
    earlier one), in one numpy pass and one refresh."""
    size = canvas._canvas_size
    width, height = size.width, size.height
    if not width or not height:
        return
    clip = canvas._clip_line_cohen_sutherland
    parts = [(_clipped(x, y, width, height, clip), n) for n, (x, y, _) in enumerate(lines)]
    parts = [(segments, n) for segments, n in parts if len(segments)]
    if not parts:
        return
    segments = np.vstack([segments for segments, _ in parts])
    owner = np.concatenate([np.full(len(segments), n) for segments, n in parts])
    cell = hires_sizes[mode]
    ends = np.floor(segments * (cell.width, cell.height, cell.width, cell.height))
    px, py, segment = _walk(*(ends[:, k].astype(np.int64) for k in range(4)))
    line = owner[segment]
    cx, cy = px // cell.width, py // cell.height
    on = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
    px, py, cx, cy, line = px[on], py[on], cx[on], cy[on], line[on]
    bit = (py % cell.height) * cell.width + px % cell.width
    # One row of sub-pixel masks per line; a cell shows the last line that has a pixel there.
    masks = np.zeros((len(lines), width * height), dtype=np.int64)
    np.bitwise_or.at(masks, (line, cy * width + cx), np.left_shift(1, bit))
    drawn = masks != 0
    touched = np.flatnonzero(drawn.any(axis=0))
    winner = len(lines) - 1 - np.argmax(drawn[::-1, touched], axis=0)
    characters, styles_of = _CHARACTERS[mode], [style for _, _, style in lines]
    buffer, styles = canvas._buffer, canvas._styles
    rows, columns = np.divmod(touched, width)
    for row, column, owner_line, mask in zip(
        rows.tolist(),
        columns.tolist(),
        winner.tolist(),
        masks[winner, touched].tolist(),
        strict=True,
    ):
        if character := characters[mask]:
            buffer[row][column] = character
            styles[row][column] = styles_of[owner_line]
    canvas.refresh()
