"""The admin login: throttled per username and client address (django-axes), at a configurable
path that robots.txt does not name, and staff sessions that end when idle."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils import timezone, translation

from kb.middleware import StaffIdleTimeoutMiddleware
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "pw-not-used-123"


@pytest.fixture(autouse=True)
def _limits(settings):
    # A fast hasher: these tests sign in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 3
    settings.KB_TRUSTED_PROXIES = ["127.0.0.1/32"]


def login_url(language="en"):
    with translation.override(language):
        return reverse("admin:login")


def sign_in(client, username, password, **extra):
    return client.post(
        login_url(), {"username": username, "password": password, "next": "/en/admin/"}, **extra
    )


def test_the_right_password_signs_in(client):
    factories.editor("ana")
    response = sign_in(client, "ana", PASSWORD)
    assert response.status_code == 302
    assert client.get("/en/admin/").status_code == 200


def test_repeated_failures_lock_that_name_from_that_address_even_with_the_right_password():
    factories.editor("ana")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        assert sign_in(attacker, "ana", "wrong").status_code == 200
    locked = sign_in(attacker, "ana", "wrong")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    assert sign_in(attacker, "ana", PASSWORD).status_code == 429


def test_a_lockout_does_not_lock_the_editor_out_from_elsewhere():
    factories.editor("ana")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(4):
        sign_in(attacker, "ana", "wrong")
    editor = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(editor, "ana", PASSWORD).status_code == 302


def test_behind_the_proxy_the_lock_follows_the_forwarded_client_not_the_proxy():
    factories.editor("ana")
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for _ in range(3):
        sign_in(proxy, "ana", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(proxy, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another reader behind the same proxy is not locked out.
    assert sign_in(proxy, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_reset_the_lock():
    factories.editor("ana")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        sign_in(attacker, "ana", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = sign_in(attacker, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_the_lock_ends_after_the_cool_off(settings):
    factories.editor("ana")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        sign_in(attacker, "ana", "wrong")
    assert sign_in(attacker, "ana", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert sign_in(attacker, "ana", PASSWORD).status_code == 302


def test_the_lockout_page_is_in_chinese_on_the_chinese_admin():
    factories.editor("ana")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    url = login_url("zh-hans")
    for _ in range(3):
        response = attacker.post(url, {"username": "ana", "password": "wrong"})
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()


def test_robots_txt_does_not_name_the_admin(client):
    body = client.get("/robots.txt").content.decode()
    assert "admin" not in body
    assert "Disallow: /en/search/" in body


def test_the_admin_path_comes_from_a_setting(settings):
    settings.DJANGO_ADMIN_URL = "staff-7f3k/"
    from importlib import reload

    import config.urls

    try:
        reload(config.urls)
        settings.ROOT_URLCONF = "config.urls"
        clear_url_caches()
        client = Client()
        assert client.get("/en/staff-7f3k/login/").status_code == 200
        assert client.get("/en/admin/login/").status_code == 404
    finally:
        settings.DJANGO_ADMIN_URL = "admin/"
        reload(config.urls)
        clear_url_caches()


def test_a_staff_session_ends_after_the_idle_time(client, settings):
    settings.KB_STAFF_IDLE_MINUTES = 30
    client.force_login(factories.editor("ana"))
    assert client.get("/en/admin/").status_code == 200
    session = client.session
    session[StaffIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/en/admin/").status_code == 200
    session = client.session
    session[StaffIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/en/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(login_url())
    assert "_auth_user_id" not in client.session
