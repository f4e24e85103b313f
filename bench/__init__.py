"""Benchmarks run from a checkout (not installed): python -m bench.NAME."""
