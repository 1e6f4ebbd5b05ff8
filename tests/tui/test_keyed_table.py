"""KeyedTable on its own: columns follow their content both ways."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey

from lbtui.tui.widgets.keyed_table import KeyedTable
from tests.pilot_waits import wait_for

LONG_ERROR = "UNREACHABLE: Cannot connect to the Docker daemon at unix:///run/lbtui/lab/d1.sock"


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("host", "state"), id="table")


def _width(table: KeyedTable, column: str) -> int:
    return table.columns[ColumnKey(column)].content_width


async def test_a_column_narrows_again_when_its_widest_cell_does() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({"docker1": ("docker1", LONG_ERROR), "docker2": ("docker2", "up")})
        await wait_for(pilot, lambda: _width(table, "state") == len(LONG_ERROR), "a wide column")
        table.sync({"docker1": ("docker1", "up"), "docker2": ("docker2", "up")})
        await wait_for(pilot, lambda: _width(table, "state") == len("state"), "the column narrowed")
        await wait_for(pilot, lambda: table.virtual_size.width < 20, "the table narrowed")


async def test_a_column_narrows_when_the_row_holding_its_widest_cell_goes() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({"a": ("a-very-long-host-name", "up"), "b": ("b", "up")})
        await wait_for(pilot, lambda: _width(table, "host") == 21, "a wide column")
        table.sync({"b": ("b", "up")})
        await wait_for(pilot, lambda: _width(table, "host") == len("host"), "the column narrowed")


class CountingTable(KeyedTable):
    """Records which lines are rendered again (the compositor asks only for repainted ones)."""

    rendered: ClassVar[list[int]] = []

    def render_line(self, y: int) -> Strip:
        self.rendered.append(y)
        return super().render_line(y)


class CountingApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTable(("host", "state"), id="table")


def _painted(table: KeyedTable) -> list[str]:
    """The lines as the screen shows them (the widget's cached strips)."""
    return [strip.text for strip in table.render_lines(Region(0, 0, *table.size))]


def _fresh(table: KeyedTable) -> list[str]:
    """The lines rendered anew from the table's data, no cache."""
    table._line_cache.clear()
    table._row_render_cache.clear()
    return [table.render_line(y).text for y in range(table.size.height)]


ROWS = {key: (key, "up") for key in ("a", "b", "c")}


async def test_a_changed_cell_repaints_its_row_alone_and_no_change_repaints_nothing() -> None:
    app = CountingApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(CountingTable)
        table.sync(ROWS)
        await wait_for(pilot, lambda: table.row_count == 3, "the rows")
        await pilot.pause()
        CountingTable.rendered.clear()
        table.sync(dict(ROWS))
        await pilot.pause()
        assert CountingTable.rendered == []
        table.sync({**ROWS, "b": ("b", "dn")})
        await pilot.pause()
        assert set(CountingTable.rendered) == {2}  # the header is line 0, row a line 1
        assert _painted(table)[2].startswith(" b     dn")
        assert _painted(table) == _fresh(table)  # no row shows stale text


async def test_a_wider_cell_still_widens_its_column_and_repaints_every_row() -> None:
    app = CountingApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(CountingTable)
        table.sync(ROWS)
        await wait_for(pilot, lambda: table.row_count == 3, "the rows")
        await pilot.pause()
        table.sync({**ROWS, "c": ("c", "unreachable")})
        await wait_for(pilot, lambda: _width(table, "state") == len("unreachable"), "wider")
        await pilot.pause()
        assert _painted(table) == _fresh(table)
        assert "unreachable" in _painted(table)[3]
