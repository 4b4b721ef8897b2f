from django.urls import path

from . import views

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
    path("payouts/details/", views.payout_details, name="payout_details"),
    path("payouts/stripe/return/", views.stripe_connect_return, name="stripe_connect_return"),
    path("payouts/stripe/refresh/", views.stripe_connect_refresh, name="stripe_connect_refresh"),
    path("payouts/request/", views.payout_request, name="payout_request"),
    path("payouts/<uuid:public_id>/", views.payout_detail, name="payout_detail"),
]
