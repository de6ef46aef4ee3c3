"""The Simplified Chinese interface: the committed .po file is complete and well-formed, and the
pages really switch language with the URL prefix."""

import io
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from kb.views import pagecache
from tests import factories
from tests.public_data import PUBLISHED

PO_PATH = Path(settings.BASE_DIR) / "kb" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _entries():
    return [entry for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete]


def _placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


# --- The .po file ----------------------------------------------------------------------------


def test_po_file_declares_chinese_with_a_single_plural_form():
    po = polib.pofile(str(PO_PATH))
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy


def test_po_file_has_no_untranslated_entries():
    untranslated = [
        entry.msgid
        for entry in _entries()
        if not (entry.msgstr or (entry.msgid_plural and all(entry.msgstr_plural.values())))
    ]
    assert untranslated == []


def test_po_file_has_no_fuzzy_entries():
    assert [entry.msgid for entry in _entries() if "fuzzy" in entry.flags] == []


def test_translations_keep_the_placeholders_of_their_source():
    mismatched = []
    for entry in _entries():
        if entry.msgid_plural:
            expected = _placeholders(entry.msgid_plural)
            translations = list(entry.msgstr_plural.values())
        else:
            expected = _placeholders(entry.msgid)
            translations = [entry.msgstr]
        for text in translations:
            if _placeholders(text) != expected:
                mismatched.append((entry.msgid, text))
    assert mismatched == []


def test_translations_keep_leading_and_trailing_newlines():
    mismatched = [
        entry.msgid
        for entry in _entries()
        if not entry.msgid_plural
        and (
            entry.msgid.startswith("\n") != entry.msgstr.startswith("\n")
            or entry.msgid.endswith("\n") != entry.msgstr.endswith("\n")
        )
    ]
    assert mismatched == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext is not installed")
def test_every_interface_string_in_the_code_is_in_the_po_file(tmp_path, monkeypatch):
    tree = tmp_path / "src"
    for name in ("kb", "config", "templates"):
        shutil.copytree(
            Path(settings.BASE_DIR) / name,
            tree / name,
            ignore=shutil.ignore_patterns("locale", "__pycache__"),
        )
    locale = tmp_path / "locale"
    locale.mkdir()
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    extracted = polib.pofile(str(locale / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    committed = {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in _entries()}
    missing = [
        entry.msgid
        for entry in extracted
        if (entry.msgctxt, entry.msgid, entry.msgid_plural) not in committed
    ]
    assert missing == [], "run makemessages -l zh_Hans and translate the new strings"


# --- Rendered pages --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory):
    """The committed .po compiled by our own command into a private folder, so that the pages
    are checked against the file in the repository, not a stale local .mo."""
    root = tmp_path_factory.mktemp("locale")
    target = root / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO_PATH, target / "django.po")
    with override_settings(LOCALE_PATHS=[str(root)]):
        call_command("compiletranslations", force=True, stdout=io.StringIO())
    assert (target / "django.mo").exists()
    return root


@pytest.fixture(autouse=True)
def _compiled_translations(settings, compiled_locale):
    settings.LOCALE_PATHS = [str(compiled_locale)]
    pagecache.clear()
    yield
    pagecache.clear()


def _html(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


HOME_STRINGS = {
    "zh-hans": [
        "身在海外，也能管理您的手机号",
        "选择您的运营商",
        "热门业务",
        "最近更新",
        "最近核实",
        "1 篇指南",
        "跳到正文",
        "事实来自运营商自己的页面，并注明我们阅读的日期；每篇指南都写明是否核实过、何时核实。本站与任何运营商均无关联。",
    ],
    "en": [
        "Manage your phone line from abroad",
        "Choose your carrier",
        "Most-read tasks",
        "Recently updated",
        "Recently verified",
        "1 guide",
        "Skip to content",
        "Facts come from the carriers' own pages, cited with the date we read them; every guide says whether and when it was verified. Not affiliated with any carrier.",
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_page_interface_follows_the_language_prefix(client, language):
    factories.guide(status=PUBLISHED, language=language)
    html = _html(client, f"/{language}/")
    for text in HOME_STRINGS[language]:
        assert text in html, text
    other = "en" if language == "zh-hans" else "zh-hans"
    for text in HOME_STRINGS[other][:5]:
        assert text not in html, text


@pytest.mark.django_db
def test_guide_page_labels_are_chinese_under_zh_hans(client):
    guide = factories.guide(status=PUBLISHED)
    html = _html(client, guide.get_absolute_url())
    for text in ("步骤", "常见问题与解决办法", "按照指南操作成功了吗？", "反馈这篇指南的问题"):
        assert text in html, text
    assert "Problems and solutions" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [("zh-hans", ["登录", "用户名"], "Username"), ("en", ["Log in", "Username"], "用户名")],
)
def test_admin_login_page_follows_the_language_prefix(client, language, expected, absent):
    html = _html(client, f"/{language}/admin/login/")
    for text in expected:
        assert text in html, text
    assert absent not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", ["编辑工作", "审核中的指南", "知识库"]),
        ("en", ["Editorial work", "Guides in review"]),
    ],
)
def test_admin_dashboard_is_translated(client, language, expected):
    client.force_login(factories.user(superuser=True))
    html = _html(client, f"/{language}/admin/")
    for text in expected:
        assert text in html, text
