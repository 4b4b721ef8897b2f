from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoinshopAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on the 2FA-only site in ``coinshop.admin``."""

    default = False
    default_site = "coinshop.admin.CoinshopAdminSite"


class CoinshopConfig(AppConfig):
    """The project package as an app: it holds cross-app commands such as ``seed_demo``."""

    name = "coinshop"
    default = True
