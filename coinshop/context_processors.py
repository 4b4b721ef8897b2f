from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"PAYMENT_PROVIDER": settings.PAYMENT_PROVIDER, "DEMO_MODE": settings.DEMO_MODE, "SITE_NAME": "Coinshop"}
