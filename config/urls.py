from django.contrib import admin
from django.urls import path

from strategy import views as strategy_views

admin.site.site_header = "Suivi de la stratégie pauvreté — administration"
admin.site.site_title = "Suivi stratégie pauvreté"
admin.site.index_title = "Préfecture de la région Hauts-de-France"

urlpatterns = [
    path("", strategy_views.home, name="home"),
    path("admin/", admin.site.urls),
]
