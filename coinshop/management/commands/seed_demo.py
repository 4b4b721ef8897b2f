from typing import Any

from django.core.management.base import BaseCommand

import accounts.demo
import gifts.demo
import wallet.demo


class Command(BaseCommand):
    help = "Load the demo data (people, and each app's catalog). Safe to run again: it only adds what is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        lines = accounts.demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins (email / password / role):"))
        for line in lines:
            self.stdout.write(line)
        for line in wallet.demo.seed():
            self.stdout.write(line)
        for line in gifts.demo.seed():
            self.stdout.write(line)
