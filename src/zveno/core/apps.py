from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Helpers with no models: preferences, translations, the page chrome."""

    name = "zveno.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings

        from zveno.core import celery  # the project's Celery app becomes current
        from zveno.core.i18n import compile_catalogues

        # Catalogues are compiled from the .po sources whenever they are newer than the .mo,
        # so nobody ever runs compilemessages by hand (and GNU gettext is not needed).
        for path in settings.LOCALE_PATHS:
            compile_catalogues(path)
        # Every app's tasks are registered now, so ``core.jobs.enqueue`` finds them by name.
        celery.app.autodiscover_tasks(force=True)
