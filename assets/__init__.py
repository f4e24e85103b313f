"""The question bank and the demo, installed as the package `app.assets` (see app/system/resources.py)."""
