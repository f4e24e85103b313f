"""Reliability figures (RELIABILITY.md) and the desktop bundle against the source install."""
