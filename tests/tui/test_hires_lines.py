"""The numpy polyline rasteriser draws exactly what textual-hires-canvas draws, cell for cell."""

from __future__ import annotations

import numpy as np
import pytest
from textual_hires_canvas import Canvas, HiResMode

from lbtui.tui.widgets.hires_lines import draw_hires_polylines


def _both(width: int, height: int, lines: list[tuple[np.ndarray, np.ndarray]], mode: HiResMode):
    """The canvases drawn by the library (segment list) and by the rasteriser, same lines."""
    library, ours = Canvas(width, height), Canvas(width, height)
    styled = [(x, y, ("red", "blue", "green")[n % 3]) for n, (x, y) in enumerate(lines)]
    for x, y, style in styled:
        segments = [(x[i - 1], y[i - 1], x[i], y[i]) for i in range(1, len(x))]
        library.draw_hires_lines(segments, hires_mode=mode, style=style)
    draw_hires_polylines(ours, styled, mode)  # all at once
    return library, ours


@pytest.mark.parametrize("mode", list(HiResMode))
def test_random_polylines_match_the_library_cell_for_cell(mode: HiResMode) -> None:
    rng = np.random.default_rng(10)
    drawn = 0
    for trial in range(300):
        width, height = int(rng.integers(1, 50)), int(rng.integers(1, 25))
        points = int(rng.integers(0, 30))
        # A third of the trials reach past the canvas on every side: the clipped path.
        spill = 5.0 if trial % 3 == 0 else 0.0
        lines = []
        for _ in range(3):
            x = rng.uniform(-spill, width - 1 + spill, points)
            y = rng.uniform(-spill, height - 1 + spill, points)
            if trial % 4 == 0:  # exact sub-pixel boundaries: Bresenham's ties
                x, y = np.round(x * 2) / 2, np.round(y * 4) / 4
            lines.append((x, y))
        library, ours = _both(width, height, lines, mode)
        assert ours._buffer == library._buffer, f"trial {trial}"
        assert ours._styles == library._styles, f"trial {trial}"
        drawn += sum(ch != " " for row in ours._buffer for ch in row)
    assert drawn > 1000  # the trials did draw


def test_latency_like_lines_match_and_overwrite_in_order() -> None:
    """10 servers x 120 seconds, jagged, crossing each other: later lines win shared cells."""
    rng = np.random.default_rng(3)
    x = np.linspace(1, 138, 120)
    lines = [(x, rng.uniform(1, 28, 120)) for _ in range(10)]
    library, ours = _both(140, 30, lines, HiResMode.BRAILLE)
    assert ours._buffer == library._buffer and ours._styles == library._styles
    assert {"red", "blue", "green"} <= {s for row in ours._styles for s in row}


def test_fewer_than_two_points_draw_nothing() -> None:
    canvas = Canvas(10, 5)
    one, none = (np.array([3.0]), np.array([2.0]), "red"), (np.array([]), np.array([]), "red")
    draw_hires_polylines(canvas, [one, none], HiResMode.BRAILLE)
    draw_hires_polylines(canvas, [], HiResMode.BRAILLE)
    assert all(ch == " " for row in canvas._buffer for ch in row)
