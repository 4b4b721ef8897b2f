"""Production settings: refuse to start without their secrets or with an unsafe configuration (each time saying what
to set), and pass ``check --deploy`` with no warnings."""

from __future__ import annotations

import secrets

import pytest

from .conftest import RunDjango

PRODUCTION = "coinshop.settings.production"
CHECK = ["manage.py", "check"]
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def _production_env(**changes: str | None) -> dict[str, str]:
    """A complete, safe production environment (a demonstration site on the sandbox), with ``changes``; a value of
    None leaves that variable out."""
    env: dict[str, str | None] = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "coinshop.example",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        "DEMO_MODE": "true",
        "SANDBOX_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        **changes,
    }
    return {key: value for key, value in env.items() if value is not None}


def test_production_settings_pass_check_deploy_with_no_issues(run_django: RunDjango) -> None:
    result = run_django(CHECK_DEPLOY, settings=PRODUCTION, **_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key(run_django: RunDjango) -> None:
    """The same command does fail on a warning: the test above would notice a regression."""
    result = run_django(CHECK_DEPLOY, settings=PRODUCTION, **_production_env(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(run_django: RunDjango) -> None:
    result = run_django(CHECK, settings=PRODUCTION, **_production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(run_django: RunDjango) -> None:
    result = run_django(CHECK, settings=PRODUCTION, **_production_env(ALLOWED_HOSTS=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set" in result.stderr


def test_production_never_runs_with_debug_even_if_asked(run_django: RunDjango) -> None:
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = run_django(["-c", script], settings=PRODUCTION, **_production_env(DEBUG="true"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_refuses_stripe_without_its_secret_key(run_django: RunDjango) -> None:
    common = _production_env(PAYMENT_PROVIDER="stripe", DEMO_MODE=None, SANDBOX_WEBHOOK_SECRET=None)
    result = run_django(CHECK, settings=PRODUCTION, **common)
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER=stripe needs STRIPE_TEST_SECRET_KEY" in result.stderr
    ok = run_django(CHECK, settings=PRODUCTION, STRIPE_TEST_SECRET_KEY="sk_test_" + "x" * 24, **common)
    assert ok.returncode == 0, ok.stderr


# --- issue 12: unsafe configurations are refused, each with what to set -----------------------------------------


def test_production_refuses_the_sandbox_provider_unless_demo_mode_is_asked_for(run_django: RunDjango) -> None:
    for provider in (None, "sandbox"):  # the default, and said explicitly
        result = run_django(CHECK, settings=PRODUCTION, **_production_env(PAYMENT_PROVIDER=provider, DEMO_MODE=None))
        assert result.returncode != 0
        assert "PAYMENT_PROVIDER is sandbox" in result.stderr
        assert "set PAYMENT_PROVIDER=stripe" in result.stderr and "or DEMO_MODE=true" in result.stderr
    off = run_django(CHECK, settings=PRODUCTION, **_production_env(DEMO_MODE="false"))
    assert off.returncode != 0 and "or DEMO_MODE=true" in off.stderr


def test_production_refuses_the_published_sandbox_webhook_secret(run_django: RunDjango) -> None:
    for secret in (None, "whsec_sandbox_coinshop_test_mode_only"):  # the default, and the same value set explicitly
        result = run_django(CHECK, settings=PRODUCTION, **_production_env(SANDBOX_WEBHOOK_SECRET=secret))
        assert result.returncode != 0
        assert "SANDBOX_WEBHOOK_SECRET must be set to a secret of your own" in result.stderr


def test_production_refuses_an_unknown_payment_provider(run_django: RunDjango) -> None:
    result = run_django(CHECK, settings=PRODUCTION, **_production_env(PAYMENT_PROVIDER="paypal"))
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER must be stripe or sandbox, not 'paypal'" in result.stderr


def test_production_refuses_to_start_without_a_shared_cache(run_django: RunDjango) -> None:
    result = run_django(CHECK, settings=PRODUCTION, **_production_env(REDIS_URL=None))
    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr and "login rate limits" in result.stderr


@pytest.mark.parametrize("proxy_count", ["0", "1", "2"])
def test_production_needs_the_count_of_trusted_proxies_said_explicitly(run_django: RunDjango, proxy_count: str) -> None:
    missing = run_django(CHECK, settings=PRODUCTION, **_production_env(ALLAUTH_TRUSTED_PROXY_COUNT=None))
    assert missing.returncode != 0
    assert "ALLAUTH_TRUSTED_PROXY_COUNT must be set" in missing.stderr
    script = "import django; django.setup(); from django.conf import settings as s; "
    script += "print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    said = run_django(["-c", script], settings=PRODUCTION, **_production_env(ALLAUTH_TRUSTED_PROXY_COUNT=proxy_count))
    assert said.returncode == 0, said.stderr
    assert said.stdout.strip() == proxy_count
    header = run_django(
        CHECK,
        settings=PRODUCTION,
        **_production_env(ALLAUTH_TRUSTED_PROXY_COUNT=None, ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"),
    )
    assert header.returncode == 0, header.stderr


SANDBOX_ROUTES = (
    "from django.test import Client; c = Client(); "
    "print(c.post('/wallet/webhooks/sandbox/', data='{}', content_type='application/json').status_code, "
    "c.get('/wallet/sandbox/checkout/sbx_1/').status_code)"
)


def test_the_sandbox_webhook_and_checkout_exist_only_where_the_sandbox_is_the_provider(run_django: RunDjango) -> None:
    script = "import django; django.setup(); " + SANDBOX_ROUTES
    stripe = run_django(["-c", script], settings="coinshop.settings.test", PAYMENT_PROVIDER="stripe")
    assert stripe.returncode == 0, stripe.stderr
    assert stripe.stdout.split() == ["404", "404"]
    sandbox = run_django(["-c", script], settings="coinshop.settings.test", PAYMENT_PROVIDER="sandbox")
    assert sandbox.returncode == 0, sandbox.stderr
    webhook, checkout = sandbox.stdout.split()
    assert webhook == "400"  # there, and refusing an unsigned event
    assert checkout == "302"  # there, and asking to log in


def test_production_links_in_emails_start_with_the_sites_own_address(run_django: RunDjango) -> None:
    """Emails sent from tasks (notifications) link to the site, not to the development default."""
    show = ["manage.py", "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)"]
    assert (
        run_django(show, settings=PRODUCTION, **_production_env()).stdout.strip().splitlines()[-1]
        == "https://coinshop.example"
    )
    chosen = _production_env(SITE_URL="https://gifts.example")
    assert run_django(show, settings=PRODUCTION, **chosen).stdout.strip().splitlines()[-1] == "https://gifts.example"


@pytest.mark.parametrize("hosts", ["*", ".coinshop.example", "*.coinshop.example,coinshop.example"])
def test_production_needs_site_url_when_the_first_host_is_no_plain_host_name(run_django: RunDjango, hosts: str) -> None:
    """Review of issue 14: a wildcard first host made links like "https://*" (a pattern, not the site's address)."""
    refused = run_django(CHECK, settings=PRODUCTION, **_production_env(ALLOWED_HOSTS=hosts))
    assert refused.returncode != 0
    assert "ImproperlyConfigured: SITE_URL must be set (e.g. https://coinshop.example)" in refused.stderr
    chosen = run_django(
        CHECK, settings=PRODUCTION, **_production_env(ALLOWED_HOSTS=hosts, SITE_URL="https://a.example")
    )
    assert chosen.returncode == 0, chosen.stderr
