from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = "Acteurs"

    def ready(self):
        from actors import sessions  # noqa: F401 - connects the login receiver
