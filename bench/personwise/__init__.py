"""The person-wise benchmark: every person a fold, the headline pooled over held-out people."""
