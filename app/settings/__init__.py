"""The listener's settings: one typed schema (with the questions they may add), and the one store that owns them."""
