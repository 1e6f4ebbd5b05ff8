"""HAProxy itself: the config model (rendered, parsed), stats, rates, runtime API, credentials."""
