"""Traditional Chinese under /zh-hant/: every page converted from the Simplified text with
OpenCC, names and code left as written, search, feeds, sitemap, corrections and the preview."""

import json
import re
import shutil
import time
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from kb import traditional
from kb.management.commands.compiletranslations import derive_traditional
from kb.models import Carrier, Correction, Guide
from kb.services import spam, workflow
from kb.services.demo import DEMO_DIR, load_demo
from kb.views import pagecache
from tests import factories

pytestmark = pytest.mark.django_db

#: Characters that exist only in Simplified Chinese (their Traditional forms differ).
SIMPLIFIED_ONLY = set(
    "这们说时会过还发后对开关门问题网号码机话费务账户转携帐续应该让请选择设电经为与运营联络认证档"
    "标记图线项"
)
#: Names and codes readers see exactly as their owners write them.
KEEP = ("giffgaff", "T-Mobile", "iliad", "eSIM", "PAC", "STAC", "https://www.giffgaff.com")
MAIN = re.compile(r'<main id="main".*?</main>', re.S)


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    yield
    pagecache.clear()


DEMO_GUIDES = ("giffgaff-*", "gb-keep-number.*", "*-pause.*", "three-uk-*")


@pytest.fixture
def demo(tmp_path):
    """The demo catalogue with the guides these tests read (the whole demo takes long)."""
    shutil.copy(DEMO_DIR / "catalogue.yaml", tmp_path / "catalogue.yaml")
    (tmp_path / "guides").mkdir()
    for pattern in DEMO_GUIDES:
        for path in (DEMO_DIR / "guides").glob(pattern):
            shutil.copy(path, tmp_path / "guides" / path.name)
    load_demo(tmp_path)


def url(name, language="zh-hant", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def text_of(html: str) -> str:
    """What a reader reads on the page: the main column, without markup, code or scripts."""
    main = MAIN.search(html).group(0)
    main = re.sub(r"<(code|pre|script|style)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r'<([a-z]+)[^>]*\blang="zh-Hans".*?</\1>', " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def get(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


# --- conversion ------------------------------------------------------------------------------
def test_conversion_uses_taiwan_characters_without_changing_words():
    text = traditional.to_traditional("请在设置里打开移动数据，短信验证码会发到这个号码。")
    assert text == "請在設置裡打開移動數據，短信驗證碼會發到這個號碼。"
    # No phrase table: a carrier's name is not turned into another word (s2twp: 中國行動).
    assert traditional.to_traditional("中国移动") == "中國移動"


def test_names_addresses_phone_numbers_and_code_are_left_as_written():
    html = traditional.html_to_traditional(
        '<p>发短信 <code>PAC 设置</code> 到 65075，或访问 <a href="https://www.giffgaff.com/设置">'
        "giffgaff 设置页</a>，拨打 +44 7700 900123。`取消 eSIM` 也一样。</p>"
    )
    assert "<code>PAC 设置</code>" in html
    assert 'href="https://www.giffgaff.com/设置"' in html
    assert "`取消 eSIM`" in html
    assert "發簡訊" not in html and "發短信" in html
    assert "giffgaff 設置頁" in html


def test_converting_traditional_text_again_leaves_it_as_it_is(demo):
    for guide in Guide.objects.published().filter(language="zh-hans"):
        stored = guide.traditional["guide"]
        assert traditional.to_traditional(stored["summary"]) == stored["summary"]
        for step in guide.traditional["steps"].values():
            assert traditional.html_to_traditional(step["body_html"]) == step["body_html"]


def test_publishing_stores_the_traditional_text_that_readers_are_shown(client):
    editor, reviewer = factories.editor(), factories.reviewer()
    guide = factories.guide(status=Guide.Status.IN_REVIEW, steps=2, created_by=editor)
    guide.steps.filter(position=1).update(title="打开设置", body="点击这里。")
    workflow.guide_publish(guide=guide, user=reviewer)
    guide.refresh_from_db()
    assert guide.traditional["config"] == "s2tw"
    assert guide.traditional["steps"]["1"]["title"] == "打開設置"
    assert guide.steps.get(position=1).title == "打开设置"  # the Simplified text is unchanged
    # Readers are shown what was stored, not a conversion made as the page is read.
    guide.traditional["steps"]["1"]["title"] = "已儲存的標題"
    Guide.objects.filter(pk=guide.pk).update(traditional=guide.traditional)
    with translation.override("zh-hant"):
        path = guide.get_absolute_url()
    assert path.startswith("/zh-hant/")
    html = get(client, path)
    assert "已儲存的標題" in html and "打開設置" not in html


# --- every page ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("kb:home", {}),
        ("kb:country", {"slug": "gb"}),
        ("kb:carrier", {"slug": "giffgaff"}),
        ("kb:task", {"slug": "keep-number"}),
        ("kb:guide", {"slug": "giffgaff-port-out"}),
        ("kb:choose", {}),
        ("kb:saved", {}),
        ("kb:correction", {"slug": "giffgaff-port-out"}),
        ("kb:guide_request", {"carrier": "giffgaff", "task": "pause"}),
        ("kb:search", {}),
    ],
)
def test_every_public_page_is_served_in_traditional_chinese(client, demo, name, kwargs):
    html = get(client, url(name, **kwargs))
    assert '<html lang="zh-Hant">' in html
    found = SIMPLIFIED_ONLY & set(text_of(html))
    assert not found, f"Simplified-only characters on {name}: {''.join(sorted(found))}"


def test_the_not_found_page_is_traditional_too(client, demo):
    html = get(client, "/zh-hant/guides/no-such-guide/", status=404)
    assert '<html lang="zh-Hant">' in html
    assert not SIMPLIFIED_ONLY & set(text_of(html))


def test_a_traditional_guide_keeps_carrier_and_product_names(client, demo):
    guide = Guide.objects.published().get(slug="giffgaff-port-out", language="zh-hans")
    html = get(client, url("kb:guide", slug=guide.slug))
    body = text_of(html)
    for name in ("giffgaff", "PAC"):
        assert name in body
    for name in KEEP:
        if name in guide.summary + "".join(s.body for s in guide.steps.all()):
            assert name in html
    assert "繁體中文" not in body  # the switch is outside the main column
    assert guide.title != traditional.to_traditional(guide.title)  # it was converted at all
    assert traditional.to_traditional(guide.title) in html


def test_guide_pages_link_each_other_with_hreflang_zh_hant(client, demo):
    guide = Guide.objects.published().get(slug="giffgaff-port-out", language="zh-hans")
    hant = url("kb:guide", slug=guide.slug)
    hans = get(client, url("kb:guide", "zh-hans", slug=guide.slug))
    assert f'hreflang="zh-Hant" href="http://testserver{hant}"' in hans
    page = get(client, hant)
    assert 'hreflang="zh-Hans"' in page and 'hreflang="en"' in page
    # The language switch names Simplified Chinese in its own script.
    assert ">简体中文</a>" in page
    assert ">繁體中文</a>" in hans


def test_sitemap_lists_the_traditional_address_of_every_simplified_guide(client, demo):
    xml = get(client, "/sitemap-guides.xml")
    for guide in Guide.objects.published().filter(language="zh-hans")[:5]:
        assert f"/zh-hant/guides/{guide.slug}/</loc>" in xml
    assert 'hreflang="zh-hant"' in xml
    assert "/zh-hant/carriers/giffgaff/" in get(client, "/sitemap-catalogue.xml")


def test_feeds_are_in_traditional_chinese(client, demo):
    xml = get(client, url("kb:feed"))
    assert "/zh-hant/guides/" in xml and "/zh-hans/guides/" not in xml
    titles = "".join(re.findall(r"<title>(.*?)</title>", xml))
    assert titles and not SIMPLIFIED_ONLY & set(titles)
    carrier = get(client, url("kb:carrier_feed", slug="giffgaff"))
    assert "giffgaff" in carrier and "/zh-hant/guides/" in carrier


# --- search ----------------------------------------------------------------------------------
def _found_ids(client, path, query):
    html = get(client, f"{path}?q={query}")
    return re.findall(r"/search/go/(\d+)/", html), html


def test_search_from_zh_hant_finds_the_same_guides_as_simplified(client, demo):
    hans, _ = _found_ids(client, url("kb:search", "zh-hans"), "暂停号码")
    hant, html = _found_ids(client, url("kb:search"), "暫停號碼")
    assert hans and hant == hans
    assert not SIMPLIFIED_ONLY & set(text_of(html))
    assert "/zh-hant/search/go/" in html


# --- corrections -----------------------------------------------------------------------------
def test_a_correction_from_a_traditional_page_is_shown_to_editors_in_both(client, demo, settings):
    settings.KB_CORRECTION_RATE = "0"
    settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.KB_CORRECTION_MIN_SECONDS = 3
    guide = Guide.objects.published().get(slug="giffgaff-port-out", language="zh-hans")
    with translation.override("zh-hant"):
        path = guide.get_correction_url()
    response = client.post(
        path,
        {
            "kind": "outdated",
            "step": "",
            "proposed_text": "在 App 裡點「帳戶」→「設定」，發簡訊 PAC 到 65075。",
            "website": "",
            "started": spam.form_token(guide.pk, now=time.time() - 60),
        },
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert correction.language == "zh-hant"
    assert correction.get_absolute_url().startswith("/zh-hant/")
    client.force_login(factories.editor())
    with translation.override("zh-hans"):
        admin = get(client, reverse("admin:kb_correction_change", args=[correction.pk]))
    assert "在 App 裡點「帳戶」" in admin
    assert 'id="kb-proposed-simplified"' in admin
    # The Simplified conversion, which the comparison and the accept form use.
    assert "在 App 里点“账户”→“设定”，发简讯 PAC 到 65075。" in admin


# --- reviewer's preview ----------------------------------------------------------------------
def test_a_reviewer_previews_a_draft_in_traditional_chinese(client):
    guide = factories.guide(status=Guide.Status.IN_REVIEW, steps=1, title="暂停这个号码")
    client.force_login(factories.reviewer())
    with translation.override("zh-hans"):
        preview = reverse("admin:kb_guide_preview", args=[guide.pk])
    html = get(client, preview)
    assert "暂停这个号码" in html and f"{preview}?script=hant" in html
    html = get(client, preview + "?script=hant")
    assert "暫停這個號碼" in html and '<html lang="zh-Hant">' in html
    assert Guide.objects.get(pk=guide.pk).title == "暂停这个号码"


# --- interface strings -----------------------------------------------------------------------
def test_the_traditional_catalogue_is_the_simplified_one_converted():
    locale = Path(settings.BASE_DIR) / "kb" / "locale"
    committed = (locale / "zh_Hant" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert committed == str(derive_traditional(locale / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    po = polib.pofile(committed)
    assert po.metadata["Language"] == "zh_Hant"
    assert all(entry.translated() for entry in po)
    assert po.find("Search").msgstr and not SIMPLIFIED_ONLY & set(
        "".join(e.msgstr for e in po if "%" not in e.msgid)
    )


def test_carrier_brands_are_in_the_keep_as_is_list_or_latin():
    for name in Carrier.objects.values_list("name", flat=True):
        assert traditional.to_traditional(name) == name


# --- structured data, caching and prerendering -----------------------------------------------
def test_structured_data_of_a_traditional_guide_is_traditional(client, demo):
    html = get(client, url("kb:guide", slug="giffgaff-port-out"))
    blocks = "".join(re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S))
    assert '"inLanguage":"zh-Hant"' in blocks
    assert not SIMPLIFIED_ONLY & set(blocks)


def test_each_script_has_its_own_cached_page_and_publishing_prerenders_both(client, demo):
    from kb.services import prerender

    guide = Guide.objects.published().get(slug="giffgaff-port-out", language="zh-hans")
    hans, hant = url("kb:guide", "zh-hans", slug=guide.slug), url("kb:guide", slug=guide.slug)
    assert guide.title in get(client, hans)
    assert guide.title not in get(client, hant)
    assert client.get(hant)["X-Page-Cache"] == "hit"
    assert guide.title in get(client, hans) and client.get(hans)["X-Page-Cache"] == "hit"
    assert {hans, hant, "/zh-hant/", "/zh-hant/carriers/giffgaff/"} <= set(
        prerender.paths_for_guide(guide)
    )


def test_search_guides_command_answers_for_zh_hant_readers_with_traditional_addresses(demo):
    out = StringIO()
    call_command("search_guides", "暫停號碼", "--lang", "zh-hant", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    chinese = [row for row in rows if row["language"] == "zh-hans"]
    assert chinese and rows[0] == chinese[0]
    assert all(row["url"].startswith("/zh-hant/") for row in chinese)
    assert not SIMPLIFIED_ONLY & set("".join(row["title"] for row in chinese))


def test_a_traditional_reader_is_told_the_outcome_in_traditional_chinese(
    settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from kb.services import corrections

    settings.KB_CORRECTION_RATE = "0"
    settings.KB_CORRECTION_GUIDE_RATE = "0"
    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=2, title="暂停这个号码")
    correction = corrections.correction_submit(
        guide=guide,
        step=None,
        kind="outdated",
        proposed_text="請改成：暫停號碼。",
        language="zh-hant",
        email="r@example.com",
    )
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_reject(
            correction=correction, user=factories.editor(), reason="already_fixed", note="已经改好"
        )
    message = mail.outbox[0]
    assert "暫停這個號碼" in message.subject + message.body
    assert "已經改好" in message.body
    assert "/zh-hant/" in message.body
    assert not SIMPLIFIED_ONLY & set(message.subject + message.body)
