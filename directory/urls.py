from django.urls import path

from directory import views

app_name = "directory"
urlpatterns = [
    path("activities/<id:pk>/sessions.ics", views.activity_ical, name="activity_ical"),
    path("venues/<id:pk>/", views.venue_detail, name="venue_detail"),
]
