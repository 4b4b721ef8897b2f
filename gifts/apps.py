from django.apps import AppConfig


class GiftsConfig(AppConfig):
    name = "gifts"
    verbose_name = "Gifts"

    def ready(self) -> None:
        from . import invariants  # noqa: F401 - registers the gift checks with wallet.invariants
