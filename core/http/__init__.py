"""The HTTP API and the gallery: a FastAPI application served by uvicorn (``aigc serve``).

``create_app(engine, settings)`` builds it; the modules each hold one concern: authentication and
rate limits, body limits, metrics, pending requests, the API routes and the gallery pages;
``workers`` builds one app per process of ``aigc serve --workers N``.
"""
