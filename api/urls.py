from django.urls import path

from api import views

urlpatterns = [
    path("", views.index, name="api_index"),
    path("v1/openapi.json", views.openapi_json, name="api_openapi"),
    path("v1/", views.api.urls),
]
