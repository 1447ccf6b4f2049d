from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Pages publiques"

    def ready(self):
        from public.cache import connect_signals

        connect_signals()
