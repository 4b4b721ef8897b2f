from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.static import serve

from accounts import views as account_views
from gifts import views as gift_views
from gifts.sending import level_views

from . import closing_views, views
from .http import HandleConverter, TokenConverter

register_converter(HandleConverter, "handle")  # before the apps' URLs that use them are included
register_converter(TokenConverter, "token")

urlpatterns = [
    path("", views.home, name="home"),
    path("creators/", views.creators, name="creators"),
    path("levels/", level_views.gifter_levels, name="gifter_levels"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/delete/", closing_views.account_delete, name="account_delete"),  # the flow above every app
    path("accounts/", include("accounts.urls")),
    path("wallet/", include("wallet.urls")),
    path("accounts/", include("allauth.urls")),
    path("creator/become/", account_views.creator_become, name="creator_become"),
    path("creator/profile/", account_views.creator_edit, name="creator_edit"),
    path("creator/", include("payouts.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    re_path(r"^@(?P<handle>[a-z0-9_-]{3,30})/$", gift_views.creator_page, name="creator_page"),
    path("", include("gifts.urls")),
    path("", include("videos.urls")),
    path("", include("posts.urls")),
    path("", include("notifications.urls")),
    path("", include("supporters.urls")),
]

if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
