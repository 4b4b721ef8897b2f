from django.urls import path

from . import views

urlpatterns = [
    path("videos/new/", views.video_upload, name="video_upload"),
    path("videos/mine/", views.video_mine, name="video_mine"),
    path("v/<uuid:public_id>/", views.video_page, name="video_page"),
    path("v/<uuid:public_id>/video.mp4", views.video_file, name="video_file"),
    path("v/<uuid:public_id>/poster.jpg", views.video_poster, name="video_poster"),
    path("v/<uuid:public_id>/status.json", views.video_status, name="video_status"),
    path("v/<uuid:public_id>/gift/", views.video_gift_send, name="video_gift_send"),
    path("v/<uuid:public_id>/delete/", views.video_delete, name="video_delete"),
]
