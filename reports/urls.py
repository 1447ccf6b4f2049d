from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>.csv", views.download, {"extension": "csv"}, name="csv"),
    path("fichiers/<uuid:pk>/", views.build_file, name="build_file"),
    path("<slug:name>.xlsx", views.download, {"extension": "xlsx"}, name="xlsx"),
]
