from typing import Any

from django.core.management.base import BaseCommand

import accounts.demo
import gifts.demo
import payouts.demo
import wallet.demo


class Command(BaseCommand):
    help = "Load the demo data (people, and each app's catalog). Safe to run again: it only adds what is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = accounts.demo.seed()
        catalog = [*wallet.demo.seed(), *gifts.demo.seed(), *payouts.demo.seed()]
        # Receipt and notification emails (the console backend prints them) went out above: the logins come last.
        self.stdout.write("")
        for line in catalog:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins (email / password / role):"))
        for line in logins:
            self.stdout.write(line)
