"""The dashboard's page: the HTML, script, styles and icon served at /dashboard, read from
the installed package (no CDN).

Imports nothing of the rest but the domain; the API serves it (api/app.py) and documents
it (api/openapi/dashboard.py).
"""
