from django.conf import settings

from zveno import __version__


def zveno(request) -> dict:
    return {"ZVENO_VERSION": __version__, "BASE_URL": settings.BASE_URL}
