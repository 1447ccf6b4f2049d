from django.apps import AppConfig
from django.db.backends.signals import connection_created


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = "Stratégie"

    def ready(self):
        # The fold_contains lookup is registered on import; SQLite gets suivi_fold().
        from strategy.text import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="suivi_fold")
