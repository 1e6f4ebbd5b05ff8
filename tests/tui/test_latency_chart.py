"""LatencyChart on its own: an update repaints only the canvas rows it changed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip
from textual_hires_canvas import Canvas
from textual_plot import PlotWidget

from lbtui.tui.present.traffic_rows import ChartLine, ChartMarker
from lbtui.tui.widgets.latency_chart import LatencyChart
from tests.pilot_waits import wait_for


class CountingChart(LatencyChart):
    """Counts repaints of the chart widget itself (its children are counted apart)."""

    repaints: ClassVar[list[int]] = []

    def render_line(self, y: int) -> Strip:
        self.repaints.append(y)
        return super().render_line(y)


class ChartApp(App[None]):
    CSS = "#box { height: 14; overflow: hidden; } LatencyChart { height: 14; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield CountingChart()


def _lines(start: float, step: float) -> tuple[ChartLine, ...]:
    xs = tuple(float(x) for x in range(int(start), int(start) + 60))
    return (
        ChartLine("web1", xs, tuple(5 + (x * step) % 7 for x in xs)),
        ChartLine("web2", xs, tuple(9 + (x * step) % 11 for x in xs)),
    )


def _painted(canvas: Canvas) -> list[str]:
    """The canvas as the screen shows it (its cached strips)."""
    return [strip.text for strip in canvas.render_lines(Region(0, 0, *canvas.size))]


def _buffer(canvas: Canvas) -> list[str]:
    return ["".join(row) for row in canvas._buffer]


async def test_an_update_repaints_changed_canvas_rows_and_the_same_update_nothing() -> None:
    app = ChartApp()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(CountingChart)
        plot = chart.query_one("#plot", Canvas)
        chart.show(_lines(0, 1), ())
        await wait_for(pilot, lambda: any(c != " " for c in "".join(_painted(plot))), "lines")
        await pilot.pause()
        CountingChart.repaints.clear()
        repainted: list[int] = []
        original = plot.render_line

        def render_line(y: int) -> Strip:
            repainted.append(y)
            return original(y)

        plot.render_line = render_line  # type: ignore[method-assign]
        chart.show(_lines(1, 3), ())
        await pilot.pause()
        assert CountingChart.repaints == []  # not the whole chart: only its canvases' rows
        assert repainted and _painted(plot) == _buffer(plot)
        repainted.clear()
        chart.show(_lines(1, 3), ())
        await pilot.pause()
        assert repainted == [] and CountingChart.repaints == []


async def test_a_clipped_canvas_shows_its_latest_drawing_once_exposed() -> None:
    app = ChartApp()
    async with app.run_test(size=(80, 20)) as pilot:
        box = app.query_one("#box")
        chart = app.query_one(CountingChart)
        bottom = chart.query_one("#margin-bottom", Canvas)
        chart.show(_lines(0, 1), ())
        await wait_for(pilot, lambda: _painted(bottom) == _buffer(bottom), "the x labels shown")
        first = _buffer(bottom)
        box.styles.height = 12  # the chart's last row, the x-axis labels, clipped away
        await wait_for(pilot, lambda: not app.screen.can_view_partial(bottom), "clipped")
        await pilot.pause()
        refreshed: list[object] = []
        original = bottom.refresh

        def refresh(*regions: Region, **kwargs: bool) -> Canvas:
            if not bottom._refreshes_pending:  # held while the plot draws, so not a repaint
                refreshed.append(regions)
            return original(*regions, **kwargs)

        bottom.refresh = refresh  # type: ignore[method-assign]
        chart.show(_lines(37, 1), ())  # other x ticks
        await pilot.pause()
        assert _buffer(bottom) != first and refreshed == []  # drawn, not repainted
        box.styles.height = 14
        await wait_for(pilot, lambda: app.screen.can_view_partial(bottom), "exposed")
        await pilot.pause()
        assert _painted(bottom) == _buffer(bottom)


class LibraryTicks(LatencyChart):
    """The same chart with the library drawing its y ticks every time."""

    def _render_y_ticks(self) -> None:
        PlotWidget._render_y_ticks(self)


class TwoCharts(App[None]):
    CSS = "LatencyChart { height: 12; }"

    def compose(self) -> ComposeResult:
        yield LatencyChart(id="ours")
        yield LibraryTicks(id="library")


def _canvases(chart: LatencyChart) -> list[tuple[list[list[str]], list[list[str]]]]:
    return [(c._buffer, c._styles) for c in chart.query(Canvas)]


async def test_y_ticks_drawn_again_from_the_same_inputs_match_the_library() -> None:
    app = TwoCharts()
    async with app.run_test(size=(80, 26)) as pilot:
        ours, library = (
            app.query_one("#ours", LatencyChart),
            app.query_one("#library", LibraryTicks),
        )
        await pilot.pause()
        sequence = [
            (_lines(0, 1), ()),
            (_lines(1, 1), ()),  # the x axis moves, the y axis stays
            (_lines(2, 3), ()),
            (_lines(3, 3), (ChartMarker(62.0, "pause web2"),)),  # a marker at the right edge
            (_lines(4, 5), (ChartMarker(40.0, "clear web2"),)),
        ]
        for lines, markers in sequence:
            ours.show(lines, markers)
            library.show(lines, markers)
            await pilot.pause()
            assert _canvases(ours) == _canvases(library)
        replayed = ours._y_ticks_drawn
        ours.show(*sequence[-1])  # unchanged: nothing drawn
        app.theme = "textual-light"  # the tick and axis styles change: drawn again
        await pilot.pause()
        ours.show(*sequence[-1])
        library.show(*sequence[-1])
        await pilot.pause()
        assert ours._y_ticks_drawn != replayed
        assert _canvases(ours) == _canvases(library)
