from django.urls import path

from . import views

urlpatterns = [
    path("", views.wallet_home, name="wallet"),
    path("export.csv", views.wallet_export, name="wallet_export"),
    path("recharge/", views.recharge, name="recharge"),
    path("recharge/review/", views.recharge_review, name="recharge_review"),
    path("recharge/confirm/", views.recharge_confirm, name="recharge_confirm"),
    path("purchases/", views.purchase_list, name="purchase_list"),
    path("purchases/<uuid:public_id>/", views.purchase_status, name="purchase_status"),
    path("purchases/<uuid:public_id>/status.json", views.purchase_status_json, name="purchase_status_json"),
    path("budget/", views.budget, name="budget"),
    # The sandbox's test checkout and webhook answer only where the sandbox is the provider (``views.sandbox_only``:
    # a 404 elsewhere, asked on every request, so a settings change never leaves a stale set of routes behind).
    path("sandbox/checkout/<token:payment_id>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("webhooks/sandbox/", views.sandbox_webhook, name="sandbox_webhook"),
]
