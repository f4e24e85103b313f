"""Spotting accuracy on injected ground truth (BENCHMARKS.md), replay, the demo's figures, face coverage by size."""
