"""The API blueprint object, mounted at /api/v1 (views and hooks attach to it)."""
from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/v1"
