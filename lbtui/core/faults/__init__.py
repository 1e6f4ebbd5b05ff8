"""Reversible faults in containers' network namespaces, marked and read back from the engines."""
