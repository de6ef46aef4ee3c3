"""Search that stays warm and workers that start warm: the lexicon is shared through the cache
and survives publishing; gunicorn's master loads everything before forking."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from kb.search import lexicon as lexicon_module
from kb.services import hooks
from tests import factories
from tests.public_data import PUBLISHED

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_process(monkeypatch):
    """A process that has not built or loaded any lexicon yet."""
    monkeypatch.setattr(lexicon_module, "_cached", {})


@pytest.mark.django_db
def test_another_process_loads_the_lexicon_from_the_shared_cache_instead_of_building_it(
    fresh_process, monkeypatch
):
    factories.carrier(slug="giffgaff", name="giffgaff", aliases="GG")
    built = lexicon_module.get_lexicon()
    monkeypatch.setattr(lexicon_module, "_cached", {})

    def no_build():
        raise AssertionError("the lexicon was built again")

    monkeypatch.setattr(lexicon_module, "build_lexicon", no_build)
    loaded = lexicon_module.get_lexicon()
    assert loaded is not built
    assert loaded.by_slug.keys() == built.by_slug.keys()
    assert ("carrier", "giffgaff") in loaded.by_slug


@pytest.mark.django_db
def test_publishing_a_guide_keeps_the_lexicon_and_a_catalogue_edit_replaces_it(fresh_process):
    first = lexicon_module.get_lexicon()
    guide = factories.guide(status=PUBLISHED)
    hooks.guide_visibility_changed(guide)
    assert lexicon_module.get_lexicon() is first
    hooks.catalogue_changed()
    assert lexicon_module.get_lexicon() is not first


@pytest.mark.django_db
def test_static_files_are_not_logged_unless_asked_for(caplog, settings):
    with caplog.at_level(logging.INFO, logger="kb.request"):
        Client().get("/static/css/site.css")
        Client().get("/robots.txt")
    paths = [r.getMessage() for r in caplog.records if r.name == "kb.request"]
    assert len(paths) == 1 and "path=/robots.txt" in paths[0]
    settings.KB_LOG_STATIC_REQUESTS = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kb.request"):
        Client().get("/static/css/site.css")
    assert any("path=/static/css/site.css" in r.getMessage() for r in caplog.records)


def test_the_wsgi_module_warms_everything_and_closes_its_connections_before_the_fork(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "warm-up-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warm.sqlite3'}",
        "KB_VAR_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    check = (
        "import config.wsgi\n"
        "from django.db import connections\n"
        "from kb.search import lexicon\n"
        "from kb.search import normalize\n"
        "from kb.templatetags import kb_public\n"
        "from kb import traditional\n"
        "assert lexicon._cached, 'lexicon not loaded'\n"
        "assert {k[-1] for k in kb_public._fragments} == {'zh-hans', 'zh-hant', 'en'}, "
        "kb_public._fragments\n"
        "assert traditional._converter.cache_info().currsize == 1, 'OpenCC not loaded'\n"
        "assert all(c.connection is None for c in connections.all()), 'connection left open'\n"
        "from kb.search import tokens\n"
        "assert {'cancel', 'paus'} <= set(tokens._stems.values()), 'no search was warmed'\n"
        "from django.core.cache import caches\n"
        "from kb.models import SearchGap\n"
        "assert not SearchGap.objects.exists(), 'the warm-up counted a search'\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SELECT COUNT(*) FROM kb_page_cache')\n"
        "    assert cursor.fetchone()[0] == 0, 'the warm-up stored a page'\n"
        "print('warm')\n"
    )
    result = subprocess.run(
        [python, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("warm")
