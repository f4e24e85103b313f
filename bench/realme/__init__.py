"""Real, coded micro-expressions in a call-like context (docs/BENCH_REAL_ME.md), their amplitudes, which rule
drops each, pixel motion against landmarks (docs/BENCH_FLOW.md), and spotter variants side by side."""
