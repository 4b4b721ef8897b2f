from django.urls import path

from . import views

urlpatterns = [
    path("@<handle:handle>/follow/", views.follow, name="follow"),
    path("thanks/", views.thanks_sessions, name="thanks_sessions"),
    path("thanks/live/<int:session_id>/", views.thanks_live, name="thanks_live"),
    path("thanks/video/<uuid:public_id>/", views.thanks_video, name="thanks_video"),
]
