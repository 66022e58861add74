"""The workflow runtime an app was built around, for the views (a leaf module: views
import it, not the `web` package that builds the app and imports the views)."""
from __future__ import annotations

from flask import Flask


def runtime_of(app: Flask):
    """The workflow runtime the app was built around (`create_app` puts it there)."""
    return app.extensions["runtime"]
