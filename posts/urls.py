from django.urls import path

from . import views

urlpatterns = [
    path("posts/new/", views.post_create, name="post_create"),
    path("@<handle:handle>/posts/", views.creator_posts, name="creator_posts"),
    path("p/<uuid:public_id>/", views.post_page, name="post_page"),
    path("p/<uuid:public_id>/image", views.post_image, name="post_image"),
    path("p/<uuid:public_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<uuid:public_id>/delete/", views.post_delete, name="post_delete"),
]
