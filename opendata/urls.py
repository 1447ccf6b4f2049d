from django.urls import path, re_path

from opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("datapackage.json", views.datapackage, name="datapackage"),
    re_path(r"^(?P<name>[a-z]+)\.schema\.json$", views.schema, name="schema"),
    re_path(r"^(?P<name>[a-z]+)\.(?P<extension>csv|xlsx|json)$", views.data_file, name="file"),
]
