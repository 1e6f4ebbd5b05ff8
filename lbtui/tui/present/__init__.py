"""Snapshots turned into rows and text for the widgets: pure functions, no Textual."""
