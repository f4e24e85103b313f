"""The Face Landmarker model, installed as the package `app.models` (see app/system/resources.py and models/README.md)."""
