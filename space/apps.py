from django.apps import AppConfig


class SpaceConfig(AppConfig):
    name = "space"
    verbose_name = "Espace des acteurs"
