from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes"

    def ready(self):
        from accounts import sessions, throttle  # noqa: F401 - connect the login receivers
