"""The `glimpse` command: analyze, live without a window, devices, inject, evaluate."""
