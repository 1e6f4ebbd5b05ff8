"""A running LB's runtime API, reached by exec inside its container, and per-server control."""
