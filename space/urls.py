from django.urls import path

from space import views

app_name = "space"

urlpatterns = [
    path("", views.home, name="home"),
    path("engagements/<int:pk>/", views.commitment_detail, name="commitment"),
    path("realisations/<int:pk>/corriger/", views.correct_delivery, name="correct_delivery"),
]
