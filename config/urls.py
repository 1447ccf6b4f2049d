from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from actors import views as actor_views
from config.health import healthz, robots_txt
from strategy import views as strategy_views

handler500 = "config.errors.server_error"

admin.site.site_header = "Suivi de la stratégie pauvreté — administration"
admin.site.site_title = "Suivi stratégie pauvreté"
admin.site.index_title = "Préfecture de la région Hauts-de-France"

urlpatterns = [
    path("", strategy_views.home, name="home"),
    path("enjeux/", strategy_views.issue_list, name="issue_list"),
    path("enjeux/<slug:slug>/", strategy_views.issue_detail, name="issue_detail"),
    path("mesures/<slug:slug>/", strategy_views.measure_detail, name="measure_detail"),
    path("acteurs/", actor_views.actor_list, name="actor_list"),
    path("acteurs/<slug:slug>/", actor_views.actor_detail, name="actor_detail"),
    path("espace/", include("commitments.urls")),
    path("comptes/", include("actors.account_views")),
    path("rapports/", include("commitments.report_views")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
]
