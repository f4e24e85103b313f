"""The Face Landmarker model, installed as the package `app.models` (see app/resources.py and models/README.md)."""
