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
        compiled = [mo for path in settings.LOCALE_PATHS for mo in compile_catalogues(path)]
        if compiled:
            # A catalogue read while the apps were loading predates the new .mo: read again.
            import gettext

            from asgiref.local import Local
            from django.utils.translation import trans_real

            gettext._translations.clear()  # Python's own cache of .mo files by path
            trans_real._translations = {}
            trans_real._default = None
            trans_real._active = Local()
            getattr(trans_real.check_for_language, "cache_clear", lambda: None)()
        # Every app's tasks are registered now, so ``core.jobs.enqueue`` finds them by name.
        celery.app.autodiscover_tasks(force=True)
