"""Pilot tests of one-key redeploy and its preview: the diff shows as a diff, no dialog."""

from __future__ import annotations

from typing import cast

from rich.style import Style

from lbtui.tui.app import LbtuiApp
from lbtui.tui.widgets.diff_view import DiffView
from tests.pilot_waits import events_text, top_dashboard, wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app
from tests.tui.snapshot_apps.fake import FakeActions

SIZE = (150, 44)
NEW_SERVER = "+    server web3 web3:80 check"


def _diff_shown(app: LbtuiApp) -> bool:
    screen = top_dashboard(app)
    return screen.has_class("-diff") and NEW_SERVER in screen.diff_view.text


def _line_style(view: DiffView, text: str) -> Style | None:
    for y in range(view.size.height):
        segments = list(view.render_line(y))
        if text in "".join(segment.text for segment in segments):
            return next(s.style for s in segments if s.text.strip())
    return None


async def test_preview_key_shows_the_diff_and_changes_nothing() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = top_dashboard(app)
        assert not screen.diff_pane.display
        await pilot.press("D")
        await wait_for(pilot, lambda: _diff_shown(app), "the diff pane with the new server")
        actions = cast(FakeActions, app.services.actions)
        assert actions.calls == [("preview", "presentation")]
        assert screen.diff_pane.display and screen.diff_pane.region.height > 3
        text = screen.diff_view.text
        assert "stats auth admin:***" in text and "seamless reload" in text
        await wait_for(pilot, lambda: "preview presentation" in events_text(app), "the finish")
        events = events_text(app)
        assert "plan of presentation: +1 -0 config lines, in the diff pane" in events
        # Nothing ran: no step progress, and the diff is not repeated as event lines.
        assert "started" not in events and "done    " not in events
        assert "server web3" not in events
        top_dashboard(app)  # still the dashboard: no dialog was opened


async def test_the_diff_is_coloured_by_line_kind() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await wait_for(pilot, lambda: _diff_shown(app), "the diff pane")
        await pilot.pause()
        view = top_dashboard(app).diff_view
        added = view.get_component_rich_style("diff-view--added")
        context = view.get_component_rich_style("diff-view--context")
        assert added.color is not None and added.color != context.color
        added_style = _line_style(view, NEW_SERVER)
        assert added_style is not None and added_style.color == added.color
        context_style = _line_style(view, "    server web1 web1:80 check")
        assert context_style is not None and context_style.color == context.color


async def test_redeploy_key_shows_the_diff_and_runs_without_a_dialog() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        top_dashboard(app)  # no confirmation dialog: one key redeploys
        await wait_for(pilot, lambda: _diff_shown(app), "the diff pane")
        await wait_for(
            pilot, lambda: "done    redeploy presentation" in events_text(app), "the progress"
        )
        actions = cast(FakeActions, app.services.actions)
        assert actions.calls == [("redeploy", "presentation")]
        events = events_text(app)
        assert "server web3" not in events  # the diff is in its pane, not in the events
        assert events.index("plan of presentation") < events.index("started redeploy")


async def test_escape_closes_the_diff_and_the_palette_offers_the_preview() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Preview redeploy")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: _diff_shown(app), "the diff from the palette")
        actions = cast(FakeActions, app.services.actions)
        assert actions.calls == [("preview", "presentation")]
        await pilot.press("escape")
        screen = top_dashboard(app)
        assert not screen.has_class("-diff") and not screen.diff_pane.display
