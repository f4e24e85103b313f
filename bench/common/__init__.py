"""What the benchmarks share: the machine they ran on, where they read and write, tables."""
