"""Production settings: refuse to start without their secrets, and pass ``check --deploy`` with no warnings."""

from __future__ import annotations

import secrets

from .conftest import RunDjango

PRODUCTION = "coinshop.settings.production"
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def test_production_settings_pass_check_deploy_with_no_issues(run_django: RunDjango) -> None:
    result = run_django(
        CHECK_DEPLOY, settings=PRODUCTION, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="coinshop.example"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key(run_django: RunDjango) -> None:
    """The same command does fail on a warning: the test above would notice a regression."""
    result = run_django(CHECK_DEPLOY, settings=PRODUCTION, SECRET_KEY="short", ALLOWED_HOSTS="coinshop.example")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(run_django: RunDjango) -> None:
    result = run_django(["manage.py", "check"], settings=PRODUCTION, ALLOWED_HOSTS="coinshop.example")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(run_django: RunDjango) -> None:
    result = run_django(["manage.py", "check"], settings=PRODUCTION, SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set" in result.stderr


def test_production_never_runs_with_debug_even_if_asked(run_django: RunDjango) -> None:
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = run_django(
        ["-c", script],
        settings=PRODUCTION,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="coinshop.example",
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_refuses_stripe_without_its_secret_key(run_django: RunDjango) -> None:
    common = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "coinshop.example",
        "PAYMENT_PROVIDER": "stripe",
    }
    result = run_django(["manage.py", "check"], settings=PRODUCTION, **common)
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER=stripe needs STRIPE_TEST_SECRET_KEY" in result.stderr
    ok = run_django(["manage.py", "check"], settings=PRODUCTION, STRIPE_TEST_SECRET_KEY="sk_test_" + "x" * 24, **common)
    assert ok.returncode == 0, ok.stderr
