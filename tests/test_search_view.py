"""The search results page and the counted link from a result to its guide."""

import re
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb import caching
from kb.models import SearchGap
from tests import factories, search_data

pytestmark = pytest.mark.django_db
SEARCH = "/zh-hans/search/"


@pytest.fixture
def cat():
    return search_data.catalogue()


@pytest.fixture
def guides(cat):
    c, t = cat.carriers, cat.tasks
    made = {
        "tmobile_cancel": search_data.published(
            c.tmobile,
            t.cancel,
            title="人在国外如何注销 T-Mobile 线路",
            summary="注销后号码无法恢复。先把绑定的账户换掉，再联系 T-Mobile 注销。",
        ),
        "tmobile_pause": search_data.published(c.tmobile, t.pause),
        "tim_cancel": search_data.published(c.tim, t.cancel),
        "iliad_cancel": search_data.published(c.iliad, t.cancel),
    }
    made["tmobile_cancel_en"] = search_data.published(
        c.tmobile,
        t.cancel,
        language="en",
        title="How to cancel a T-Mobile line from abroad",
        translation_of=made["tmobile_cancel"],
    )
    return made


def page(client, query, **params):
    response = client.get(SEARCH, {"q": query, **params})
    assert response.status_code == 200
    return response, response.content.decode()


def result_titles(html):
    return re.findall(r'<li class="search-result">\s*<h2[^>]*><a [^>]*>(.*?)</a>', html, re.S)


def test_results_show_title_carrier_task_verification_and_a_marked_snippet(client, guides):
    _, html = page(client, "T-Mobile 註銷")
    titles = result_titles(html)
    assert "<mark>注销</mark>" in titles[0] and "<mark>T-Mobile</mark>" in titles[0]
    first = html.split('<li class="search-result">')[1].split("</li>")[0]
    assert "T-Mobile" in first and "注销线路" in first
    assert "kb-verification-verified" in first
    assert (
        '<p class="search-snippet">先把绑定的账户换掉，再联系 <mark>T-Mobile</mark> <mark>注销</mark>。'
        in first
    )


def test_a_guide_in_the_other_language_is_marked_as_such(client, guides):
    _, html = page(client, "T-Mobile cancel")
    assert 'hreflang="en"' in html and "English" in html


def test_marked_text_is_escaped(client, cat):
    search_data.published(
        cat.carriers.tim,
        cat.tasks.renew,
        summary="Never type <script>alert(1)</script> into the TIM app.",
        language="en",
    )
    _, html = page(client, "<script>alert(1)</script> TIM")
    assert "<script>alert(1)" not in html
    assert "&lt;<mark>script</mark>&gt;" in html


def test_facets_count_and_narrow_the_results(client, guides):
    _, html = page(client, "注销")
    assert '意大利</a> <span class="text-body-secondary">(2)' in html
    response, html = page(client, "注销", country="it")
    assert len(result_titles(html)) == 2
    assert 'aria-current="true"' in html
    _, html = page(client, "注销", lang="en")
    assert len(result_titles(html)) == 1


def facet_carriers(html):
    """The names of the carriers the first filter lists."""
    aside = html[html.index('class="col-md-3 search-facets"') : html.index("</aside>")]
    carrier = aside[aside.index("<h2") : aside.index("</section>")]
    assert "运营商" in carrier[:40]
    return re.findall(r"<li><a [^>]*>(?:<strong>)?([^<]+)", carrier)


def test_a_facet_lists_its_most_frequent_options_and_says_how_many_more(client, cat):
    from kb.views.search import FACET_OPTIONS

    carriers = [
        factories.carrier(f"carrier-{n:02}", f"Carrier{n:02}", "gb", aliases="")
        for n in range(FACET_OPTIONS + 3)
    ]
    caching.bump_tags([caching.CATALOGUE])
    for carrier in carriers:
        search_data.published(carrier, cat.tasks.keep)
    search_data.published(carriers[-1], cat.tasks.keep, language="en")  # the most frequent
    _, html = page(client, "保号")
    listed = facet_carriers(html)
    assert len(listed) == FACET_OPTIONS and listed[0] == carriers[-1].name
    assert "还有 3 个：在搜索中多加一个词" in html
    # A selected carrier is always listed, beside the 12, with the link that removes it.
    unlisted = next(c for c in carriers if c.name not in listed)
    _, html = page(client, "保号", carrier=unlisted.slug)
    assert len(result_titles(html)) == 1
    assert re.search(rf'class="facet-active"[^>]*>\s*<strong>{unlisted.name}</strong>', html)
    assert len(facet_carriers(html)) == FACET_OPTIONS + 1
    assert "还有 2 个：在搜索中多加一个词" in html


def test_unknown_facet_values_are_ignored(client, guides):
    _, all_html = page(client, "注销")
    _, html = page(client, "注销", carrier="no-such", country="<b>", task="x" * 300, lang="fr")
    assert len(result_titles(html)) == len(result_titles(all_html))


def test_results_are_paginated_and_a_bad_page_number_is_not_an_error(client, cat):
    for i in range(12):
        carrier = factories.carrier(f"carrier-{i}", f"Carrier {i}", "us", aliases="")
        search_data.published(carrier, cat.tasks.cancel)
    _, first = page(client, "注销")
    assert len(result_titles(first)) == 10 and 'rel="next nofollow"' in first
    _, second = page(client, "注销", page="2")
    assert len(result_titles(second)) == 2
    _, odd = page(client, "注销", page="abc")
    assert result_titles(odd) == result_titles(first)
    _, last = page(client, "注销", page="999")
    assert result_titles(last) == result_titles(second)


def test_a_misspelt_carrier_gets_did_you_mean_and_its_results(client, guides):
    _, html = page(client, "tmobiel 注销")
    assert 'class="search-suggestion"' in html
    assert "?q=T-Mobile+%E6%B3%A8%E9%94%80" in html
    assert "T-Mobile" in result_titles(html)[0]


def test_a_query_that_finds_nothing_names_what_it_came_close_to(client, guides):
    _, html = page(client, "giffgaff 注销")
    assert 'class="search-empty"' not in html  # other cancel guides are shown
    _, html = page(client, "giffgaf")
    assert 'class="search-empty"' in html
    assert reverse("kb:carrier", kwargs={"slug": "giffgaff"}) in html


def test_a_carrier_and_task_without_a_guide_link_to_a_request(client, cat):
    _, html = page(client, "giffgaff 保号")
    assert (
        reverse("kb:guide_request", kwargs={"carrier": "giffgaff", "task": "keep-number"}) in html
    )


# --- Search gaps ------------------------------------------------------------------------------
def test_a_query_with_no_result_is_counted_without_personal_data(client, guides):
    page(client, "qqzz 13812345678 me@example.com")
    page(Client(REMOTE_ADDR="198.51.100.10"), "QQZZ 13812345678  me@example.com")
    gap = SearchGap.objects.get()
    assert gap.query == "qqzz # [email]"
    assert (gap.zero_results, gap.searches, gap.gap) == (2, 0, 2)


def test_a_results_page_is_a_gap_until_a_result_is_clicked(client, guides):
    _, html = page(client, "T-Mobile 註銷")
    gap = SearchGap.objects.get()
    assert (gap.query, gap.searches, gap.clicks, gap.gap) == ("t-mobile 注销", 1, 0, 1)
    link = re.search(r'<a href="(/zh-hans/search/go/[^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == guides["tmobile_cancel"].get_absolute_url()
    gap.refresh_from_db()
    assert (gap.clicks, gap.gap) == (1, 0)


def test_a_client_repeating_a_search_counts_once(client, guides):
    for _ in range(5):
        page(client, "qqzz")
    assert SearchGap.objects.get().zero_results == 1
    page(Client(REMOTE_ADDR="198.51.100.9"), "qqzz")
    assert SearchGap.objects.get().zero_results == 2


def test_a_repeated_search_writes_nothing_to_the_cache(client, guides, monkeypatch):
    """The once-a-day check is an ``add``, a write on the SQLite cache, whose lock every worker
    shares: a process that already counted this client's query asks the cache no more."""
    from django.core.cache import cache

    page(client, "qqzz")
    adds = []
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda *a, **k: adds.append(a[0]) or real_add(*a, **k))
    for _ in range(3):
        page(client, "qqzz")
    page(Client(REMOTE_ADDR="198.51.100.12"), "qqzz")
    assert len(adds) == 1  # only the new client's first search
    assert SearchGap.objects.get().zero_results == 2


def test_a_failed_cache_write_does_not_stop_the_next_count(client, guides, monkeypatch):
    """A locked SQLite or an unreachable Redis makes ``add`` answer False without storing: the
    process must not remember that key, or that client's query would not count all day."""
    from kb.views import search

    class Refusing:  # only the search view's cache: rate limits and the rest use the real one
        def add(self, *args, **kwargs):
            return False

        def has_key(self, *args, **kwargs):
            return False

    monkeypatch.setattr(search, "cache", Refusing())
    page(client, "qqzz")
    assert not SearchGap.objects.exists()
    monkeypatch.undo()
    page(client, "qqzz")
    page(client, "qqzz")
    assert SearchGap.objects.get().zero_results == 1


def test_a_forgotten_key_still_counts_once(client, guides):
    """The process's memory is only a shortcut: once it forgets, the cache still says no."""
    from kb.views.search import forget_seen

    page(client, "qqzz")
    forget_seen()
    page(client, "qqzz")
    assert SearchGap.objects.get().zero_results == 1


def test_later_pages_and_filters_are_not_counted_again(client, guides):
    page(client, "注销")
    page(client, "注销", page="2")
    page(client, "注销", country="it")
    assert SearchGap.objects.get().searches == 1


def test_the_click_link_only_leads_to_published_guides(client, cat):
    draft = factories.guide(carrier_obj=cat.carriers.tim, task_obj=cat.tasks.cancel)
    response = client.get(reverse("kb:search_click", kwargs={"pk": draft.pk}), {"q": "x"})
    assert response.status_code == 404
    assert not SearchGap.objects.exists()


def test_a_click_without_a_counted_search_creates_no_gap(client, guides):
    guide = guides["tim_cancel"]
    response = client.get(reverse("kb:search_click", kwargs={"pk": guide.pk}), {"q": "made up"})
    assert response.status_code == 302
    assert not SearchGap.objects.exists()


# --- Any input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "!!!???。。。",
        '"',
        "*",
        "NEAR",
        "OR",
        "-",
        ":",
        'title:"a" NEAR(b c) OR -d*',
        "'; DROP TABLE kb_guide; --",
        "😀🚀",
        "\x00",
        "T-Mobile\x00注销",
        "注" * 2000,
        "a" * 2000,
    ],
)
def test_any_query_gives_a_page_with_a_clear_message(client, guides, query):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<main" in html


def test_an_empty_query_asks_what_to_search_for(client, guides):
    _, html = page(client, "")
    assert "search-message" in html
    assert not SearchGap.objects.exists()


def test_a_long_query_is_cut_and_the_reader_is_told(client, guides):
    _, html = page(client, "T-Mobile 注销 " + "x" * 2000)
    assert "alert-warning" in html
    assert "T-Mobile" in result_titles(html)[0]


@pytest.mark.parametrize("raw", [b"q=%FF%FE", b"q=%C3%28", b"q=%00%00", b"q=\xff\xfe", b"q=%E6%B3"])
def test_invalid_utf8_in_the_query_string_is_not_an_error(client, guides, raw):
    response = client.get(SEARCH, QUERY_STRING=raw.decode("latin-1"))
    assert response.status_code == 200


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=st.sampled_from('"*:-()^{}ORNEA注销TmobileＴ續費\x00 '), max_size=60),
    ),
    raw=st.binary(max_size=40),
)
@example(query="\x00" * 10, raw=b"\xff")
def test_random_text_through_the_view_never_fails(client, guides, query, raw):
    response = client.get(SEARCH, {"q": query, "page": query[:5], "carrier": query[:10]})
    assert response.status_code == 200
    response = client.get(SEARCH, QUERY_STRING="q=" + quote_from_bytes(raw))
    assert response.status_code == 200


def test_the_results_page_makes_a_bounded_number_of_queries(
    client, guides, django_assert_max_num_queries
):
    page(client, "T-Mobile 註銷")
    with django_assert_max_num_queries(20):
        page(client, "T-Mobile 註銷")


# --- Results pages in the page cache ----------------------------------------------------------


def test_a_repeated_search_is_served_from_the_page_cache_and_still_counted(client, guides):
    first, _ = page(client, "T-Mobile 注销")
    assert first["X-Page-Cache"] == "miss"
    again, _ = page(Client(REMOTE_ADDR="198.51.100.11"), "T-Mobile 注销", utm_source="x")
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert SearchGap.objects.get(query="t-mobile 注销").searches == 2
    assert page(client, "T-Mobile 注销", page="2")[0]["X-Page-Cache"] == "miss"


def test_a_publish_drops_cached_results_at_once(client, guides, django_capture_on_commit_callbacks):
    from kb.services import workflow

    _, before = page(client, "T-Mobile 注销")
    assert page(client, "T-Mobile 注销")[0]["X-Page-Cache"] == "hit"
    live = guides["tmobile_cancel"]
    editor, reviewer = factories.editor(), factories.reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        copy = workflow.guide_start_change(guide=live, user=editor)
        copy.title = "人在国外注销 T-Mobile 线路（新版）"
        copy.updated_by = editor
        copy.save()
        workflow.guide_submit(guide=copy, user=editor)
        workflow.guide_publish(guide=copy, user=reviewer, note="新标题")
    after, html = page(client, "T-Mobile 注销")
    assert after["X-Page-Cache"] == "miss"
    assert "（新版）" in html and "（新版）" not in before
