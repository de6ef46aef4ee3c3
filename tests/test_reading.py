"""Reading a guide: contents for long guides, related guides, phone numbers as tel: links, print
stylesheet, favicon and web app manifest."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from kb.markdown import link_phone_numbers, render
from kb.models import Guide, Step
from tests import factories

pytestmark = pytest.mark.django_db
PUBLISHED = Guide.Status.PUBLISHED


def get(client, url_name, language="zh-hans", **kwargs):
    with translation.override(language):
        url = reverse(url_name, kwargs=kwargs or None)
    return client.get(url)


@pytest.fixture
def catalogue():
    tmobile = factories.carrier("t-mobile", "T-Mobile", "us")
    verizon = factories.carrier("verizon", "Verizon", "us")
    giffgaff = factories.carrier("giffgaff", "giffgaff", "gb")
    cancel = factories.task(slug="cancel", name_zh="注销", name_en="Cancel a line")
    pause = factories.task(slug="pause", name_zh="暂停", name_en="Pause a line")
    return tmobile, verizon, giffgaff, cancel, pause


def published(carrier, task, steps=3, **kwargs):
    return factories.guide(
        status=PUBLISHED,
        carrier_obj=carrier,
        task_obj=task,
        steps=steps,
        slug=kwargs.pop("slug", f"{carrier.slug}-{task.slug}"),
        **kwargs,
    )


def test_a_guide_with_more_than_four_steps_has_contents_linking_every_step(client, catalogue):
    tmobile, _, _, cancel, _ = catalogue
    guide = published(tmobile, cancel, steps=5)
    html = get(client, "kb:guide", slug=guide.slug).content.decode()
    toc = html[html.index('class="guide-toc"') : html.index("</nav>", html.index("guide-toc"))]
    assert "<details data-open-wide>" in toc
    for position in range(1, 6):
        assert f'href="#step-{position}"' in toc and f'id="step-{position}"' in html


def test_a_short_guide_has_no_contents(client, catalogue):
    tmobile, _, _, cancel, _ = catalogue
    guide = published(tmobile, cancel, steps=4)
    assert "guide-toc" not in get(client, "kb:guide", slug=guide.slug).content.decode()


def test_related_guides_are_the_carriers_other_tasks_and_the_task_at_other_carriers(
    client, catalogue
):
    tmobile, verizon, giffgaff, cancel, pause = catalogue
    guide = published(tmobile, cancel)
    other_task = published(tmobile, pause)
    other_carrier = published(verizon, cancel)
    abroad = published(giffgaff, cancel)
    draft = factories.guide(carrier_obj=verizon, task_obj=pause, slug="verizon-pause")
    html = get(client, "kb:guide", slug=guide.slug).content.decode()
    related = html[html.index('class="related"') : html.index("</section>", html.index("related"))]
    assert other_task.get_absolute_url() in related
    assert other_carrier.get_absolute_url() in related
    assert abroad.get_absolute_url() not in related
    assert draft.get_absolute_url() not in related
    assert guide.get_absolute_url() not in related


def test_the_task_at_other_carriers_lists_at_most_twelve_and_links_to_the_country(
    client, catalogue, django_assert_max_num_queries
):
    """At 16,662 carriers a guide page must not list every carrier of its country: twelve by
    name, the country-wide guide, and a link to the country page with the total."""
    tmobile, _, _, cancel, pause = catalogue
    guide = published(tmobile, cancel)
    country_wide = factories.guide(
        status=PUBLISHED, task_obj=cancel, slug="us-cancel", carrier=None, country=guide.country
    )
    others = [
        published(factories.carrier(f"c{n:02}", f"Carrier {n:02}", "us"), cancel) for n in range(14)
    ]
    published(factories.carrier("no-cancel", "Aaa no cancel", "us"), pause)
    response = get(client, "kb:guide", slug=guide.slug)
    html = response.content.decode()
    related = html[html.index('class="related"') : html.index("</section>", html.index("related"))]
    listed = [g for g in others if g.get_absolute_url() in related]
    assert listed == others[:12]
    assert country_wide.get_absolute_url() in related
    carriers = guide.country.carriers.count()
    assert carriers == 17
    assert guide.country.get_absolute_url() in related and f"全部 {carriers} 家运营商" in related
    assert len(response.context["related"]["carriers"]) == 13


def test_a_country_with_few_carriers_lists_them_all_without_a_link(client, catalogue):
    tmobile, verizon, _, cancel, _ = catalogue
    guide = published(tmobile, cancel)
    published(verizon, cancel)
    html = get(client, "kb:guide", slug=guide.slug).content.decode()
    related = html[html.index('class="related"') : html.index("</section>", html.index("related"))]
    assert "more-link" not in related


def test_phone_numbers_in_steps_are_tappable_links(client, catalogue):
    tmobile, _, _, cancel, _ = catalogue
    guide = published(tmobile, cancel, steps=0)
    Step.objects.create(
        guide=guide,
        position=1,
        title="打电话",
        body="从国外拨打 +1 505 998 3793；发短信 PAC 到 65075。",
    )
    html = get(client, "kb:guide", slug=guide.slug).content.decode()
    assert '<a href="tel:+15059983793" class="tel">+1 505 998 3793</a>' in html
    assert 'href="tel:65075"' not in html


@pytest.mark.parametrize(
    ("text", "tel"),
    [
        ("call 1-800-937-8997 now", "tel:18009378997"),
        ("call (800) 922-0204", "tel:8009220204"),
        ("+44 7973 100 789", "tel:+447973100789"),
    ],
)
def test_phone_number_forms_become_tel_links(text, tel):
    assert f'href="{tel}"' in link_phone_numbers(render(text))


@pytest.mark.parametrize(
    "text",
    ["`+1 505 998 3793`", "[help](https://example.com/+15059983793)", "2026-12-02", "611"],
)
def test_numbers_in_code_links_dates_and_short_codes_stay_as_they_are(text):
    assert "tel:" not in link_phone_numbers(render(text))


def test_pages_link_a_print_stylesheet_a_favicon_and_a_manifest(client, catalogue):
    html = get(client, "kb:home").content.decode()
    assert 'media="print"' in html and "print" in html
    assert 'rel="icon"' in html and 'rel="manifest" href="/zh-hans/manifest.webmanifest"' in html
    response = get(client, "kb:manifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == "/zh-hans/" and data["lang"] == "zh-Hans"
    assert {icon["sizes"] for icon in data["icons"]} >= {"192x192", "512x512"}
    assert client.get("/favicon.ico").status_code == 301


def test_the_feedback_box_says_thanks_only_after_sending(client, catalogue):
    tmobile, _, _, cancel, _ = catalogue
    guide = published(tmobile, cancel)
    html = get(client, "kb:guide", slug=guide.slug).content.decode()
    assert 'data-noted="已记下你的回答。还有要补充的吗？（可选）"' in html


def test_the_service_worker_is_served_from_the_root_and_never_cached_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert b"kb-guides-v1" in response.content


def test_the_saved_guides_page_exists_in_both_languages_and_every_page_links_to_it(client):
    for language, heading in (("zh-hans", "离线保存的指南"), ("en", "Saved for offline reading")):
        html = get(client, "kb:saved", language).content.decode()
        assert f"<h1>{heading}</h1>" in html and 'id="saved-guides"' in html
        assert f'href="/{language}/saved/"' in get(client, "kb:home", language).content.decode()
