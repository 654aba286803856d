from django.urls import path

from search import views

app_name = "search"
urlpatterns = [
    path("find/", views.find, name="find"),
    path("find/link-workers/", views.find_for_link_workers, name="find_for_link_workers"),
    path("healthz/search/", views.health, name="health"),
]
