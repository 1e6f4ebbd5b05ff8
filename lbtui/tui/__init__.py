"""The Textual dashboard: the app, its data sources, presentation, screens and widgets."""
