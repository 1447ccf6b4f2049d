from django.conf import settings
from django.contrib import admin
from django.urls import include, path

handler400 = "config.errors.bad_request"
handler500 = "config.errors.server_error"

admin.site.site_header = "Suivi de la stratégie pauvreté — administration"
# The lists need the width: the index and the breadcrumbs lead everywhere already.
admin.site.enable_nav_sidebar = False
admin.site.site_title = "Suivi stratégie pauvreté"
admin.site.index_title = "Préfecture de la région Hauts-de-France"

urlpatterns = [
    path("", include("public.urls")),
    path("espace/", include("space.urls")),
    path("comptes/", include("accounts.urls")),
    path("rapports/", include("reports.urls")),
    path("donnees/", include("opendata.urls")),
    path("api/", include("api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("operations.urls")),
]
