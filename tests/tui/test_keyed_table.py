"""KeyedTable on its own: columns follow their content both ways."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets.data_table import ColumnKey

from lbtui.tui.widgets.keyed_table import KeyedTable
from tests.tui.conftest import wait_for

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
