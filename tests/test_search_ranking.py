"""Ranking by rarity, the reader's language as a tie-break, one lexicon for search and the
importer, public names versus search-only spellings, highlights on the words that matter."""

import pytest
from django.urls import reverse
from django.utils import translation

from kb import caching
from kb.importing.detection import Catalogue, detect
from kb.models import Carrier, Guide
from kb.search.backends import get_backend
from kb.search.lexicon import get_lexicon, split_aliases
from kb.search.query import analyze, search
from tests import factories, search_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat():
    return search_data.catalogue()


def top(query, n=3, language="zh-hans"):
    hits = search(query, language=language).hits[:n]
    guides = Guide.objects.select_related("carrier", "task").in_bulk([h.guide_id for h in hits])
    return [
        (guides[h.guide_id].carrier.slug, guides[h.guide_id].task.slug, guides[h.guide_id].language)
        for h in hits
    ]


def test_a_rare_word_outweighs_common_ones(cat):
    c, t = cat.carriers, cat.tasks
    for carrier in (c.tmobile, c.verizon, c.tim):
        search_data.published(
            carrier, t.cancel, steps=[("注销号码", "联系客服注销号码，号码注销后无法恢复。")]
        )
    search_data.published(
        c.giffgaff,
        t.cancel,
        steps=[("注销号码", "想保留号码，先发短信 PAC 到 65075 拿到 PAC 码。")],
    )
    assert top("PAC码 号码", 1)[0][:2] == ("giffgaff", "cancel")
    assert top("PAC码", 1)[0][:2] == ("giffgaff", "cancel")


def test_a_reader_on_the_english_site_who_types_chinese_gets_the_chinese_guide(cat):
    c, t = cat.carriers, cat.tasks
    zh = search_data.published(c.tmobile, t.cancel, title="人在国外如何注销 T-Mobile 线路")
    search_data.published(
        c.tmobile,
        t.cancel,
        language="en",
        title="How to cancel a T-Mobile line from abroad",
        translation_of=zh,
    )
    assert top("T-Mobile 怎么注销线路", 1, language="en")[0] == ("t-mobile", "cancel", "zh-hans")
    assert top("how to cancel a t-mobile line", 1, language="zh-hans")[0] == (
        "t-mobile",
        "cancel",
        "en",
    )


def test_the_readers_language_breaks_a_tie(cat):
    c, t = cat.carriers, cat.tasks
    same = {"title": "T-Mobile", "summary": "T-Mobile", "steps": [("T-Mobile", "T-Mobile")]}
    zh = search_data.published(c.tmobile, t.pause, **same)
    search_data.published(c.tmobile, t.pause, language="en", translation_of=zh, **same)
    assert top("T-Mobile 暂停", 1, language="en")[0][2] == "en"
    assert top("T-Mobile 暂停", 1, language="zh-hans")[0][2] == "zh-hans"


def test_country_aliases_are_recognised_by_search_and_the_importer_alike(cat):
    cat.gb.aliases = "UK\nBritain\n英國"
    cat.gb.save()
    caching.bump_tags([caching.CATALOGUE])
    lexicon = get_lexicon()
    named = analyze("UK 保号", lexicon, get_backend().known_terms).entities()
    assert ("country", "gb") in {(e.kind, e.slug) for e in named}
    found = detect(Catalogue.load(), "人在国外怎么给UK号码保号", "保号方法如下。")
    assert found.country == cat.gb


def test_an_alias_added_to_a_country_in_the_admin_reaches_search_and_the_importer(
    admin_client, cat
):
    form = {
        "slug": "it",
        "name_zh": "意大利",
        "name_en": "Italy",
        "aliases": "Bel Paese",
        "position": 0,
    }
    response = admin_client.post(reverse("admin:kb_country_change", args=[cat.it.pk]), form)
    assert response.status_code == 302
    named = analyze("bel paese 注销", get_lexicon(), None).entities()
    assert ("country", "it") in {(e.kind, e.slug) for e in named}
    assert detect(Catalogue.load(), "Bel Paese 的号码怎么注销", "注销。").country == cat.it


def test_split_aliases_keeps_real_names_public_and_spellings_for_search():
    public, search_only = split_aliases(
        names=("T-Mobile", ""),
        aliases=["Tmobile", "T mobile", "T-Mo", "TMO", "T家", "Tmoble", "T~M", "T-Mobile US"],
    )
    assert public == ["T-Mo", "T家", "T-Mobile US"]
    assert search_only == ["Tmobile", "T mobile", "TMO", "Tmoble", "T~M"]
    public, search_only = split_aliases(
        names=("China Mobile Hong Kong", "中国移动香港"),
        aliases=["中國移動香港", "CMHK", "Verison"],
    )
    assert public == ["CMHK", "Verison"]
    assert search_only == ["中國移動香港"]


def test_search_only_spellings_find_the_carrier_but_never_show_on_its_page(client, cat):
    carrier = Carrier.objects.get(slug="verizon")
    carrier.search_aliases = "Verison\nVerizion"
    carrier.save()
    search_data.published(carrier, cat.tasks.cancel)
    caching.bump_tags([caching.CATALOGUE])
    assert top("verizion 注销", 1)[0][:2] == ("verizon", "cancel")
    with translation.override("zh-hans"):
        html = client.get(carrier.get_absolute_url()).content.decode()
    assert "Verizon Wireless" in html
    assert "Verizion" not in html and "Verison" not in html


def test_highlights_skip_words_that_most_guides_hold(client, cat):
    c, t = cat.carriers, cat.tasks
    body = [("注销号码", "注销号码前先把号码里的余额用完。")]
    for carrier in (c.tmobile, c.verizon, c.tim, c.iliad):
        search_data.published(carrier, t.cancel, steps=body)
    search_data.published(c.giffgaff, t.cancel, steps=[("注销号码", "注销号码前先申请 PAC 码。")])
    with translation.override("zh-hans"):
        html = client.get(reverse("kb:search"), {"q": "号码 PAC"}).content.decode()
    assert "<mark>PAC</mark>" in html
    assert "<mark>号码</mark>" not in html


def test_the_demo_loader_splits_carrier_aliases(tmp_path):
    from kb.services import demo

    factories.country("us")
    demo._load_catalogue(
        {
            "carriers": [
                {
                    "slug": "verizon",
                    "name": "Verizon",
                    "country": "us",
                    "aliases": ["Verizon Wireless", "VZW", "Verison"],
                }
            ]
        },
        demo.DemoReport(),
    )
    carrier = Carrier.objects.get(slug="verizon")
    assert carrier.alias_list == ["Verizon Wireless", "VZW"]
    assert carrier.search_alias_list == ["Verison"]


def _country_and_brand():
    hk = factories.country("hk", name_zh="中国香港", name_en="Hong Kong", aliases="香港\nHK")
    factories.country("cn", name_zh="中国内地", name_en="Mainland China")
    mainland = factories.carrier(
        "china-mobile", "China Mobile", "cn", aliases="中国移动\nChina Mobile", name_zh="中国移动"
    )
    regional = factories.carrier(
        "cmhk", "China Mobile Hong Kong", "hk", aliases="中国移动香港\nCMHK", name_zh="中国移动香港"
    )
    caching.bump_content_version()
    caching.bump_tags([caching.CATALOGUE])
    return hk, mainland, regional


def test_a_carrier_named_with_another_country_finds_that_countrys_carrier_of_the_same_name(cat):
    _, mainland, regional = _country_and_brand()
    for carrier in (mainland, regional):
        search_data.published(carrier, cat.tasks.renew)
    assert top("香港 中国移动 充值", 1)[0][:2] == ("cmhk", "renew")
    assert top("HK China Mobile top up", 1)[0][:2] == ("cmhk", "renew")
    assert top("中国移动 充值", 1)[0][:2] == ("china-mobile", "renew")


def test_a_country_named_without_a_carrier_puts_the_whole_countrys_guide_first(cat):
    from kb.search import index

    c, t = cat.carriers, cat.tasks
    search_data.published(c.giffgaff, t.keep, title="人在国外怎样保留 giffgaff 英国号码（保号）")
    countrywide = factories.guide(
        carrier=None,
        country=cat.gb,
        task_obj=t.keep,
        status=Guide.Status.PUBLISHED,
        title="人在国外怎样最便宜地保留英国手机号",
        slug="gb-keep-number",
        last_verified_at=None,
    )
    index.update_guide(countrywide)
    first = search("英国 保号", language="zh-hans").hits[0]
    assert first.guide_id == countrywide.pk
    # Naming the carrier still leads to the carrier's own guide.
    assert top("英国 giffgaff 保号", 1)[0][:2] == ("giffgaff", "keep-number")
