"""The selected VIP's latency over time: one line per server, faults and redeploys as markers.

Drawn by textual-plot's `PlotWidget` (high-resolution braille lines, axes with nice ticks, a
legend). The chart takes no focus: the dashboard's keys (`r` redeploys, arrows move the
cursor) must not become the plot's zoom and pan keys. Colours come from the theme's
variables, never from Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from textual.app import RenderResult
from textual.geometry import Region
from textual_hires_canvas import Canvas
from textual_plot import HiResMode, LegendLocation, PlotWidget
from textual_plot.plot_widget import LinePlot

from lbtui.tui.present.traffic_rows import ChartLine, ChartMarker
from lbtui.tui.widgets.hires_lines import draw_hires_polylines

#: Theme variables the server lines take, in order (a server keeps its colour by position).
LINE_VARIABLES = ("primary", "success", "accent", "secondary", "foreground")
MARKER_VARIABLE = "warning"


class LatencyChart(PlotWidget, can_focus=False):
    """p99 latency per second of each server of the selected VIP, with markers."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, allow_pan_and_zoom=False)
        self._lines: tuple[ChartLine, ...] = ()
        self._markers: tuple[ChartMarker, ...] = ()
        self._shown: object = None
        self._legend: tuple[object, ...] = ()
        self._held = False
        self._lines_drawn = False
        self._y_ticks_drawn: tuple[object, object, list[tuple[int, int, str, str]]] | None = None
        """What the y ticks were drawn from, the left margin they left, the plot cells set."""

    @property
    def lines(self) -> tuple[ChartLine, ...]:
        """The server lines last drawn."""
        return self._lines

    @property
    def markers(self) -> tuple[ChartMarker, ...]:
        """The markers last drawn."""
        return self._markers

    def on_mount(self) -> None:
        # Tick labels only: the pane's title says what the axes are, and rows are scarce.
        self.margin_top = 0
        self.margin_bottom = 1
        self.margin_left = 7
        self.show_legend(LegendLocation.TOPLEFT)

    def show(self, lines: Sequence[ChartLine], markers: Sequence[ChartMarker]) -> None:
        """Redraw with these lines and markers (nothing happens when they did not change)."""
        shown = (tuple(lines), tuple(markers), self.app.theme)
        if shown == self._shown:
            return
        self._shown = shown
        self._lines, self._markers = tuple(lines), tuple(markers)
        colours = self._colours()
        # Each dataset added rewrites the legend, and a legend rewritten is a layout of the
        # screen: it is written once, at the end, and only when its labels changed. Each
        # call also asks for a repaint of the whole chart (its children's every line): the
        # plot is drawn now instead, and only its canvases' changed rows repaint.
        self._held = True
        try:
            self.clear()
            for index, line in enumerate(self._lines):
                colour = colours[index % len(LINE_VARIABLES)]
                self.plot(line.xs, line.ys, colour, HiResMode.BRAILLE, label=line.server)
            for mark in self._markers:
                self.add_v_line(mark.x, colours[-1], label=mark.label)
            self.set_ylimits(0, None)
        finally:
            self._held = False
        legend = (
            *(line.server for line in self._lines),
            *(m.label for m in self._markers),
            *colours,  # a new theme recolours the legend's markers
        )
        if legend != self._legend:
            self._legend = legend
            self._update_legend()
        self._draw_now()

    def _draw_now(self) -> None:
        # Drawn now, not in the next render pass: the canvases then repaint in the same frame
        # as the table instead of a frame later (~1 ms less per update). Until the canvases
        # have their size (first layout, a resize), render() draws.
        if self._needs_rerender and not self._needs_canvas_resize:
            with self._batched():
                self._render_plot()
            self._needs_rerender = False
        elif self._needs_rerender:
            self.refresh()

    def _rerender(self) -> None:
        if self._held:
            self._needs_rerender = True
        else:
            super()._rerender()

    def _update_legend(self) -> None:
        if not self._held:
            super()._update_legend()

    def render(self) -> RenderResult:
        with self._batched():
            return super().render()

    @contextmanager
    def _batched(self) -> Iterator[None]:
        # The plot draws on its canvases piece by piece, and each piece asks its canvas to
        # refresh (about 1500 refreshes, ~40 ms, for 10 servers). Held until the end, then
        # only the rows that changed are repainted: from one second to the next the margins
        # often draw the same ticks again, and a refresh of the zero-height top margin alone
        # makes the compositor rebuild its whole map.
        canvases = list(self.query(Canvas))
        before = [(list(map(list, c._buffer)), list(map(list, c._styles))) for c in canvases]
        for canvas in canvases:
            canvas._refreshes_pending += 1
        try:
            yield
        finally:
            for canvas, (buffer, styles) in zip(canvases, before, strict=True):
                canvas._refreshes_pending -= 1
                changed = [
                    Region(0, y, len(row), 1)
                    for y, row in enumerate(canvas._buffer)
                    if y >= len(buffer) or row != buffer[y] or canvas._styles[y] != styles[y]
                ]
                if not changed and len(canvas._buffer) == len(buffer):
                    continue
                if not self.screen.can_view_partial(canvas):
                    # Clipped away (the pane too short for the x-axis labels): a refresh
                    # would make the compositor rebuild its whole map (~1 ms) to paint
                    # nothing. Its lines are only marked stale, for when it shows again.
                    canvas._set_dirty()
                elif len(canvas._buffer) != len(buffer):
                    canvas.refresh()
                else:
                    canvas.refresh(*changed)

    def _render_plot(self) -> None:
        self._lines_drawn = False
        super()._render_plot()

    def _render_line_plot(self, dataset: LinePlot) -> None:
        # The library maps and rasterises point by point in Python (~15 ms for 10 servers):
        # the same pixels come from numpy, every server's line in one pass at the first one
        # (when the plot holds only lines of one mode, so drawing order cannot differ).
        mode = dataset.hires_mode
        same = all(isinstance(d, LinePlot) and d.hires_mode is mode for d in self._datasets)
        if mode is None or not same:
            super()._render_line_plot(dataset)
            return
        if self._lines_drawn:
            return
        self._lines_drawn = True
        # map_coordinate_to_hires_pixel's arithmetic, in its order, over whole arrays.
        region = self._scale_rectangle
        x_span, y_span = self._x_max - self._x_min, self._y_max - self._y_min
        lines = [
            (
                region.x + (line.x - self._x_min) * (region.right - region.x) / x_span,
                region.bottom + (line.y - self._y_min) * (region.y - region.bottom) / y_span,
                line.line_style,
            )
            for line in self._datasets
            if isinstance(line, LinePlot)
        ]
        draw_hires_polylines(self.query_one("#plot", Canvas), lines, mode)

    def _render_y_ticks(self) -> None:
        # The y axis rarely changes from one second to the next while the x axis always
        # does; its labels' markup parsed and written again cost ~0.5 ms. The library's
        # ticks read only the y range, the sizes, the styles, the plot's left and right
        # columns as the box, markers and x ticks left them, and write those columns and
        # the left margin: when all of these are as they were, the same cells are set again.
        plot = self.query_one("#plot", Canvas)
        margin = self.query_one("#margin-left", Canvas)
        columns = (0, self._scale_rectangle.right)

        def edges() -> list[tuple[int, int, str, str]]:
            return [
                (x, y, plot._buffer[y][x], plot._styles[y][x])
                for y in range(len(plot._buffer))
                for x in columns
                if x < len(plot._buffer[y])
            ]

        inputs = (
            self._y_min,
            self._y_max,
            self._y_ticks,
            self._scale_rectangle,
            self.margin_left,
            margin._canvas_size,
            str(self.get_component_rich_style("plot--axis")),
            str(self.get_component_rich_style("plot--tick")),
            edges(),
        )
        drawn = self._y_ticks_drawn
        if (
            drawn is not None
            and drawn[0] == inputs
            and drawn[1] == (margin._buffer, margin._styles)
        ):
            for x, y, char, style in drawn[2]:
                plot._buffer[y][x], plot._styles[y][x] = char, style
            return
        super()._render_y_ticks()
        left = ([list(row) for row in margin._buffer], [list(row) for row in margin._styles])
        self._y_ticks_drawn = (inputs, left, edges())

    def _colours(self) -> list[str]:
        variables = self.app.theme_variables  # computed by Textual once per theme
        return [variables.get(name, "") or "default" for name in (*LINE_VARIABLES, MARKER_VARIABLE)]
