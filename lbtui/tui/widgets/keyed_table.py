"""A DataTable updated row by row by key, so the cursor and scroll survive every refresh."""

from __future__ import annotations

from typing import ClassVar, Self

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region
from textual.reactive import reactive
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from lbtui.tui.present.rows import Row, Rows

SegmentLines = list[list[Segment]]


class KeyedTable(DataTable[str]):
    """A table whose rows are replaced as a whole mapping `key -> cells` by `sync()`.

    The non-empty cells of `marked_column` (the containers' faults) take the
    `keyed-table--mark` style of the stylesheet.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {*DataTable.COMPONENT_CLASSES, "keyed-table--mark"}

    filter_text: reactive[str] = reactive("")
    """Only rows with a cell containing this text (case-insensitive) are shown."""

    def __init__(
        self, columns: Row, *, id: str | None = None, marked_column: str | None = None
    ) -> None:
        # While cells are updated: update_cell() repaints the whole table, sync() only the
        # rows it changed (a table-wide repaint re-renders the header and every visible row).
        # Set first: DataTable's constructor already refreshes.
        self._repaint_held = False
        super().__init__(cursor_type="row", id=id)
        self._column_names = columns
        self._marked = ColumnKey(marked_column) if marked_column is not None else None
        self._rows: Rows = {}
        self._shown: Rows = {}
        # DataTable keys its cell cache by a table-wide update count, so one changed cell
        # re-renders every visible cell; this cache is keyed by what a cell shows instead.
        self._cells_by_content: LRUCache[tuple[object, ...], SegmentLines] = LRUCache(1024)

    def on_mount(self) -> None:
        for name in self._column_names:
            self.add_column(name, key=name)
        self._apply()

    async def _on_idle(self, event: events.Idle) -> None:
        # DataTable re-measures columns on idle but keeps rows rendered at the old widths
        # (its row cache is keyed by an update count, not by widths): drop that cache.
        widths_changed = bool(self._updated_cells)
        await super()._on_idle(event)
        if widths_changed:
            self._clear_caches()
            self.refresh()

    def notify_style_update(self) -> None:
        self._cells_by_content.clear()  # a theme or pseudo-class change restyles every cell
        super().notify_style_update()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if column_key is None or (row_key is None and row_index != -1):  # row labels
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value: object
        if row_key is None:  # the header row: its cells are keyed by their labels
            value, height = self.columns[column_key].label.markup, self.header_height
        else:
            value, height = self._data[row_key][column_key], self.rows[row_key].height
            if column_key == self._marked and value:
                base_style += self.get_component_rich_style("keyed-table--mark", partial=True)
        key = (
            row_index,
            column_index,
            value,
            height,
            base_style,
            width,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        lines = self._cells_by_content.get(key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._cells_by_content[key] = lines
        return lines

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # Held only for update_cell()'s whole-table repaint; not when a column must widen
        # (that re-renders every row anyway, on idle).
        if self._repaint_held and not (regions or layout or self._require_update_dimensions):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def sync(self, rows: Rows) -> None:
        """Make the table show `rows`: add new keys, update changed cells, remove stale keys."""
        self._rows = rows
        if self.is_mounted:
            self._apply()

    @property
    def all_rows(self) -> Rows:
        """Every row last synced, shown or filtered out."""
        return self._rows

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return key

    def watch_filter_text(self) -> None:
        if self.is_mounted:
            self._apply()

    def _matches(self, row: Row) -> bool:
        needle = self.filter_text.casefold()
        return not needle or any(needle in cell.casefold() for cell in row)

    def _apply(self) -> None:
        wanted = {key: row for key, row in self._rows.items() if self._matches(row)}
        narrowed = False
        for key in [key for key in self._shown if key not in wanted]:
            self.remove_row(key)
            del self._shown[key]
            narrowed = True
        for key, row in wanted.items():
            old = self._shown.get(key)
            if old is None:
                self.add_row(*row, key=key)
            elif old != row:
                self._repaint_held = True
                try:
                    for column, before, after in zip(self._column_names, old, row, strict=True):
                        if before != after:
                            wider = len(after) > len(before)
                            self.update_cell(key, column, after, update_width=wider)
                            narrowed = narrowed or len(after) < len(before)
                finally:
                    self._repaint_held = False
                self.refresh_row(self.get_row_index(key))  # nothing when scrolled out of view
            self._shown[key] = row
        if narrowed:
            self._fit_columns()

    def _fit_columns(self) -> None:
        # DataTable widens a column for a wider cell but narrows it only by re-measuring the
        # whole column for every narrower cell; one pass over the shown rows does it for all.
        fitted = False
        for index, name in enumerate(self._column_names):
            column = self.columns[ColumnKey(name)]
            widest = max((cell_len(row[index]) for row in self._shown.values()), default=0)
            width = max(widest, column.label.cell_len)
            if width < column.content_width:
                column.content_width = width
                fitted = True
        if fitted:
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()
