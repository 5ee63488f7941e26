"""Project configuration: settings, URLs, the WSGI entry point, the Celery app and the API."""
