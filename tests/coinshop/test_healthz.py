import pytest


@pytest.mark.django_db
def test_healthz_reports_each_configured_dependency(client, settings):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}


@pytest.mark.django_db
def test_healthz_is_503_when_a_configured_broker_does_not_answer(client, settings, monkeypatch):
    dead_broker = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = dead_broker
    # Celery reads the CELERY_BROKER_URL environment variable before its own configuration (the real-services run
    # sets it), so point both at the dead broker.
    monkeypatch.setenv("CELERY_BROKER_URL", dead_broker)
    from coinshop.celery import app

    monkeypatch.setattr(app.conf, "broker_url", dead_broker)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
