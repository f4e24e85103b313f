"""Brief facial changes from per-frame measurements: the evidence kernel, the spotter, a moment's strength."""
