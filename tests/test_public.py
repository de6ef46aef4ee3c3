"""The public pages in both languages: what each page shows, metadata, and which guides are
public at all."""

import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from kb.models import Guide, Step
from kb.views import pagecache
from tests import factories
from tests.public_data import PUBLISHED, carrier_with_channels, published_pair, verify

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    yield
    pagecache.clear()


@pytest.fixture
def pair():
    return published_pair()


def url(name, language, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [node for block in blocks for node in json.loads(block)["@graph"]]


# --- Every page, both languages ---------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_puts_search_first_then_carriers_by_country_tasks_and_recent_guides(
    client, pair, language
):
    zh, en = pair
    verify(zh)
    verify(en)
    html = page(client, url("kb:home", language))
    expected_lang = "zh-Hans" if language == "zh-hans" else "en"
    assert f'<html lang="{expected_lang}">' in html
    main = html[html.index("<main") :]
    assert main.index('role="search"') < main.index("T-Mobile")
    assert f'action="{url("kb:search", language)}"' in main
    assert "美国" in main if language == "zh-hans" else "United States" in main
    assert url("kb:carrier", language, slug="t-mobile") in main
    assert url("kb:task", language, slug="pause") in main
    shown = zh if language == "zh-hans" else en
    recent = main[main.index('id="recent-title"') :]
    assert shown.title in recent[: recent.index("</section>")]
    verified = main[main.index('id="verified-title"') :]
    assert shown.title in verified[: verified.index("</section>")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_carrier_page_shows_identity_channels_aliases_and_a_row_for_every_task(
    client, pair, language
):
    factories.task(slug="cancel", name_zh="注销", name_en="Cancel a line")
    html = page(client, url("kb:carrier", language, slug="t-mobile"))
    assert "<h1>T-Mobile" in html
    assert 'href="https://www.t-mobile.com"' in html
    assert "Tmobile, T-Mo, T家" in html
    assert 'href="tel:+15059983793"' in html
    if language == "en":
        assert "Customer care from abroad" in html and "24 hours a day" in html
        assert "Free from a T-Mobile phone while roaming" in html
        assert "One of the three big US carriers." in html
    else:
        assert "海外拨打客服" in html and "每天 24 小时" in html
    matrix = html[html.index('class="table task-matrix"') :]
    matrix = matrix[: matrix.index("</table>")]
    guide = pair[0] if language == "zh-hans" else pair[1]
    assert guide.get_absolute_url() in matrix
    assert url("kb:guide_request", language, carrier="t-mobile", task="cancel") in matrix
    assert url("kb:guide_request", language, carrier="t-mobile", task="pause") not in matrix


def test_carrier_page_shows_a_country_wide_guide_for_a_task_without_a_carrier_guide(client, pair):
    keep = factories.task(slug="keep-number", name_zh="保号", name_en="Keep a number")
    countrywide = factories.guide(
        status=PUBLISHED, carrier=None, task_obj=keep, title="美国号码保号通用办法"
    )
    html = page(client, url("kb:carrier", "zh-hans", slug="t-mobile"))
    assert countrywide.get_absolute_url() in html
    assert url("kb:guide_request", "zh-hans", carrier="t-mobile", task="keep-number") not in html


def test_carrier_page_offers_the_other_language_and_a_request_when_only_chinese_exists(client):
    only_zh = factories.guide(status=PUBLISHED, carrier_obj=carrier_with_channels())
    html = page(client, url("kb:carrier", "en", slug="t-mobile"))
    assert only_zh.get_absolute_url() in html
    assert 'hreflang="zh-Hans"' in html
    assert url("kb:guide_request", "en", carrier="t-mobile", task="cancel") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_country_page_lists_its_carriers_and_country_wide_guides(client, pair, language):
    countrywide = factories.guide(
        status=PUBLISHED,
        carrier=None,
        task_obj=factories.task(slug="keep-number"),
        language=language,
        title="Country-wide guide",
    )
    other = factories.carrier(slug="tim", name="TIM", country_slug="it")
    html = page(client, url("kb:country", language, slug="us"))
    assert url("kb:carrier", language, slug="t-mobile") in html
    assert other.get_absolute_url() not in html
    assert countrywide.get_absolute_url() in html
    assert pair[0].get_absolute_url() not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_task_page_lists_the_task_for_every_carrier(client, pair, language):
    factories.carrier(slug="att", name="AT&T")
    html = page(client, url("kb:task", language, slug="pause"))
    guide = pair[0] if language == "zh-hans" else pair[1]
    assert guide.get_absolute_url() in html
    assert url("kb:carrier", language, slug="att") in html
    assert url("kb:guide_request", language, carrier="att", task="pause") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_guide_page_shows_everything_a_reader_needs_in_order(client, pair, language):
    guide = pair[0] if language == "zh-hans" else pair[1]
    html = page(client, guide.get_absolute_url())
    main = html[html.index("<main") :]
    assert f'<h1 id="guide-title">{guide.title}</h1>' in main
    assert guide.summary in main
    for position in (1, 2, 3):
        assert f'id="step-{position}"' in main
        assert f'<span class="step-number">{position}</span>' in main
        with translation.override(language):
            step = Step.objects.get(guide=guide, position=position)
            assert guide.get_correction_url(step) in main
    assert guide.get_correction_url() in main
    assert 'id="feedback-title"' in main
    assert f'action="{url("kb:guide_feedback", language, slug=guide.slug)}"' in main
    assert "csrfmiddlewaretoken" not in main


def test_guide_page_shows_risks_and_prerequisites_before_the_steps(client, pair):
    main = page(client, pair[0].get_absolute_url())
    main = main[main.index("<main") :]
    risks = main.index("无法接收验证码")
    assert risks < main.index('id="steps-title"')
    assert main.index("账户 PIN") < main.index('id="steps-title"')
    assert "约 15 分钟" in main
    assert main.index("先备份联系人") < main.index("不要删除 eSIM")
    assert "callout-tip" in main and "callout-warning" in main
    problems = main[main.index('id="problems-title"') :]
    assert "客服说不能暂停？" in problems
    assert "漫游关闭。" in problems and "打开漫游。" in problems
    sources = main[main.index('id="sources-title"') :]
    assert 'href="https://www.t-mobile.com/support/pause"' in sources
    changes = main[main.index('id="changes-title"') :]
    assert "首次发布" in changes


def test_guide_page_says_who_verified_it_and_when(client, pair):
    verify(pair[1], name="Lin")
    html = page(client, pair[1].get_absolute_url())
    assert "verification-verified" in html
    assert "Verified on" in html and "checked by Lin" in html


def test_guide_page_says_when_it_may_be_out_of_date(client, pair):
    verify(pair[1], days_ago=200, reverify_days=180)
    html = page(client, pair[1].get_absolute_url())
    assert "verification-stale" in html and "May be out of date" in html


def test_guide_page_says_when_it_was_never_verified(client, pair):
    html = page(client, pair[1].get_absolute_url())
    assert "verification-unverified" in html and "Not yet verified" in html


def test_guide_page_links_its_translation_and_declares_hreflang_alternates(client, pair):
    zh, en = pair
    html = page(client, zh.get_absolute_url())
    assert (
        f'<link rel="alternate" hreflang="en" href="http://testserver{en.get_absolute_url()}">'
        in html
    )
    assert (
        f'<link rel="alternate" hreflang="zh-Hans" href="http://testserver{zh.get_absolute_url()}">'
        in html
    )
    assert f'<a href="{en.get_absolute_url()}" hreflang="en" lang="en"' in html
    back = page(client, en.get_absolute_url())
    assert f'<a href="{zh.get_absolute_url()}" hreflang="zh-Hans" lang="zh-Hans"' in back


def test_guide_without_translation_sends_the_language_switch_to_the_other_home_page(client):
    guide = factories.guide(status=PUBLISHED)
    html = page(client, guide.get_absolute_url())
    assert 'hreflang="en" href="' not in html.split("</head>")[0]
    switch = html[html.index('class="language-switch"') :]
    assert f'href="{url("kb:home", "en")}"' in switch[: switch.index("</nav>")]


def test_guide_address_in_the_wrong_language_redirects_to_the_guide(client):
    guide = factories.guide(status=PUBLISHED, slug="only-chinese")
    response = client.get("/en/guides/only-chinese/")
    assert response.status_code == 302
    assert response["Location"] == guide.get_absolute_url()


def test_catalogue_pages_link_to_themselves_in_the_other_language(client, pair):
    html = page(client, url("kb:carrier", "zh-hans", slug="t-mobile"))
    assert 'hreflang="en" href="http://testserver/en/carriers/t-mobile/"' in html
    assert 'hreflang="x-default" href="http://testserver/zh-hans/carriers/t-mobile/"' in html
    assert '<a href="/en/carriers/t-mobile/" hreflang="en" lang="en"' in html


# --- Metadata ---------------------------------------------------------------------------------


def test_guide_page_has_title_description_canonical_and_open_graph(client, pair):
    en = pair[1]
    html = page(client, en.get_absolute_url())
    assert f"<title>{en.title} · SIM Guides</title>" in html
    assert f'<meta name="description" content="{en.summary}">' in html
    assert f'<link rel="canonical" href="http://testserver{en.get_absolute_url()}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:title" content="{en.title}">' in html
    assert '<meta property="og:locale" content="en_US">' in html


def test_guide_page_structured_data_has_breadcrumbs_howto_and_faq(client, pair):
    zh = pair[0]
    nodes = {node["@type"]: node for node in json_ld(page(client, zh.get_absolute_url()))}
    crumbs = [item["name"] for item in nodes["BreadcrumbList"]["itemListElement"]]
    assert len(crumbs) == 4 and crumbs[1:] == ["美国", "T-Mobile", zh.title]
    assert [step["position"] for step in nodes["HowTo"]["step"]] == [1, 2, 3]
    questions = [q["name"] for q in nodes["FAQPage"]["mainEntity"]]
    assert questions == ["收不到验证码？", "客服说不能暂停？"]
    assert nodes["FAQPage"]["mainEntity"][0]["acceptedAnswer"]["text"] == "漫游关闭。 打开漫游。"


def test_structured_data_cannot_close_its_script_element(client):
    hostile = "</script><script>alert(1)</script>"
    guide = factories.guide(status=PUBLISHED, title=f"Pause {hostile}", summary=f"S {hostile} &")
    html = page(client, guide.get_absolute_url())
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == html.count("<script")
    nodes = {node["@type"]: node for node in json_ld(html)}
    assert nodes["HowTo"]["name"] == f"Pause {hostile}"


def test_pages_have_a_skip_link_landmarks_and_one_h1(client, pair):
    for path in (
        url("kb:home", "en"),
        url("kb:carrier", "en", slug="t-mobile"),
        url("kb:country", "en", slug="us"),
        url("kb:task", "en", slug="pause"),
        pair[1].get_absolute_url(),
    ):
        html = page(client, path)
        assert '<a class="skip-link" href="#main">' in html
        assert '<main id="main"' in html and "<header" in html and "<footer" in html
        assert html.count("<h1") == 1, path
        assert "<script>" not in html and "onclick" not in html


def test_every_form_control_on_the_guide_page_has_a_label(client, pair):
    html = page(client, pair[0].get_absolute_url())
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert ids
    for control_id in ids:
        assert f'for="{control_id}"' in html, control_id


# --- Only published guides are public ---------------------------------------------------------


@pytest.mark.parametrize("status", [Guide.Status.DRAFT, Guide.Status.IN_REVIEW])
def test_unpublished_guides_answer_404_and_are_listed_nowhere(client, status):
    guide = factories.guide(status=status, slug="secret-draft", title="Secret draft")
    assert client.get("/zh-hans/guides/secret-draft/").status_code == 404
    assert client.get("/en/guides/secret-draft/").status_code == 404
    for path in (
        url("kb:home", "zh-hans"),
        url("kb:carrier", "zh-hans", slug=guide.carrier.slug),
        url("kb:country", "zh-hans", slug="us"),
        url("kb:task", "zh-hans", slug=guide.task.slug),
        url("kb:feed", "zh-hans"),
        "/sitemap-guides.xml",
    ):
        assert "Secret draft" not in page(client, path)
        assert "secret-draft" not in page(client, path)


def test_a_pending_change_is_never_shown_instead_of_the_published_guide(client):
    live = factories.guide(status=PUBLISHED, slug="live", title="Live title")
    factories.guide(status=Guide.Status.DRAFT, slug="live", title="Pending title", draft_of=live)
    html = page(client, "/zh-hans/guides/live/")
    assert "Live title" in html and "Pending title" not in html


def test_an_archived_guide_answers_404_and_points_to_its_replacement(client):
    old = factories.guide(status=Guide.Status.ARCHIVED, slug="old-way", title="Old way")
    old.published_at = old.content_updated_at = old.created_at
    old.save()
    replacement = factories.guide(status=PUBLISHED, slug="new-way", title="New way")
    response = client.get("/zh-hans/guides/old-way/")
    assert response.status_code == 404
    html = response.content.decode()
    assert replacement.get_absolute_url() in html
    assert 'id="step-1"' not in html


def test_an_unknown_guide_answers_404_in_the_site_style_in_both_languages(client):
    zh = client.get("/zh-hans/guides/no-such-guide/")
    en = client.get("/en/guides/no-such-guide/")
    assert zh.status_code == en.status_code == 404
    assert '<html lang="zh-Hans">' in zh.content.decode()
    assert '<html lang="en">' in en.content.decode()
    for response in (zh, en):
        html = response.content.decode()
        assert "site-header" in html and "/static/css/site." in html
        assert '<meta name="robots" content="noindex">' in html


def test_unknown_carrier_country_and_task_answer_404(client):
    for name in ("kb:carrier", "kb:country", "kb:task"):
        assert client.get(url(name, "en", slug="nope")).status_code == 404


def test_the_server_error_page_is_bilingual_and_needs_no_database(rf, django_assert_num_queries):
    from kb.views.errors import server_error

    for language, first in (("zh-hans", "出错了"), ("en", "Something went wrong")):
        with translation.override(language), django_assert_num_queries(0):
            response = server_error(rf.get("/"))
        html = response.content.decode()
        assert response.status_code == 500
        assert f"<h1>{first}</h1>" in html
        assert "出错了" in html and "Something went wrong" in html
        assert "/static/css/site." in html


def test_the_server_error_page_falls_back_to_fixed_html_when_its_template_fails(rf, monkeypatch):
    from kb.views import errors

    def broken(name):
        raise RuntimeError("template storage is gone")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500
    assert "出错了" in unescape(response.content.decode())
