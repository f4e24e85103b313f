"""The Qt desktop app: a thin shell over the headless core."""
