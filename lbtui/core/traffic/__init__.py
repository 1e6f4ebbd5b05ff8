"""The bounded traffic generator and its per-server tally."""
