"""The WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py` (which names it).

Configuration comes from the environment (COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY,
COMPLAINTS_SECRET_KEY, ...). The timer worker runs separately (`complaints worker`).
"""
from web import create_app

app = create_app()
