from django.urls import path

from public import views

# No namespace: the public pages' names (home, issue_detail…) predate the split.
urlpatterns = [
    path("", views.home, name="home"),
    path("enjeux/", views.issue_list, name="issue_list"),
    path("enjeux/<slug:slug>/", views.issue_detail, name="issue_detail"),
    path("mesures/<slug:slug>/", views.measure_detail, name="measure_detail"),
    path("acteurs/", views.actor_list, name="actor_list"),
    path("acteurs/<slug:slug>/", views.actor_detail, name="actor_detail"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", views.personal_data, name="personal_data"),
    path("cookies/", views.cookies, name="cookies"),
    path("plan-du-site/", views.site_map, name="site_map"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon_ico, name="favicon_ico"),
]
