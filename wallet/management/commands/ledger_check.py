from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wallet.invariants import ledger_check


class Command(BaseCommand):
    help = "Verify every ledger invariant; print a summary; exit non-zero naming the first violation."

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_check()
        for name, value in report.summary.items():
            self.stdout.write(f"{name:>20}: {value:,}")
        if not report.ok:
            for violation in report.violations[1:]:
                self.stderr.write(f"also: {violation}")
            raise CommandError(f"ledger check FAILED: {report.violations[0]}")
        self.stdout.write(self.style.SUCCESS("ledger check passed: every invariant holds"))
