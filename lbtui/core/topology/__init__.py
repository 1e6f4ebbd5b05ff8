"""Topology files: YAML safety, reading, values and rules, and the frozen model they produce."""
