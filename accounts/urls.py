from django.urls import path

from . import views

urlpatterns = [
    path("2fa/", views.otp_index, name="otp_index"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("2fa/reverify/", views.otp_reverify, name="otp_reverify"),
    path("2fa/backup-codes/", views.otp_backup_codes, name="otp_backup_codes"),
    path("2fa/disable/", views.otp_disable, name="otp_disable"),
    path("preferences/", views.preferences, name="preferences"),
    path("email/", views.email_manage, name="account_email"),  # before allauth's own (coinshop/urls.py)
]
