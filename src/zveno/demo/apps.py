from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo workspace, seeded through every app's services; above the apps, used by none."""

    name = "zveno.demo"
    label = "demo"
