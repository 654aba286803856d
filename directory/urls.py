from django.urls import path

from directory import views

app_name = "directory"
urlpatterns = [
    path("activities/<int:pk>/sessions.ics", views.activity_ical, name="activity_ical"),
    path("venues/<int:pk>/", views.venue_detail, name="venue_detail"),
]
