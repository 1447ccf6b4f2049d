from django.urls import path

from space import views

app_name = "space"

urlpatterns = [
    path("", views.home, name="home"),
    path("engagements/<int:pk>/", views.commitment_detail, name="commitment"),
    path("declarations/<int:pk>/", views.expected_report, name="expected_report"),
    path("realisations/<int:pk>/corriger/", views.correct_delivery, name="correct_delivery"),
    path("realisations/<int:pk>/modifier/", views.amend_delivery, name="amend_delivery"),
    path("realisations/<int:pk>/retirer/", views.retract_delivery, name="retract_delivery"),
]
