"""The dashboard's screens: the main one, detail views, confirm and help modals."""
