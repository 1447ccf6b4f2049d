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
    path("realisations/<int:pk>/justificatifs/", views.delivery_evidence, name="delivery_evidence"),
    path("declarations/<int:pk>/justificatifs/", views.report_evidence, name="report_evidence"),
    path("justificatifs/<uuid:key>/", views.download_evidence, name="evidence"),
    path("justificatifs/<uuid:key>/retirer/", views.remove_evidence, name="remove_evidence"),
]
