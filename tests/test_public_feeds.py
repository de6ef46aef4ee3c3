"""sitemap.xml, robots.txt and the Atom feeds."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.utils import translation

from kb.models import Guide, GuideRevision
from kb.views import pagecache
from tests import factories
from tests.public_data import PUBLISHED, published_pair

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-hans."""
    with translation.override("en"):
        yield


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    yield
    pagecache.clear()


def sitemap_files(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def sitemap_entries(client):
    entries = {}
    for location in sitemap_files(client):
        response = client.get(location.removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/xml")
        entries.update(_entries(ET.fromstring(response.content)))
    return entries


def _entries(root):
    entries = {}
    for url in root.findall(f"{SITEMAP}url"):
        lastmod = url.find(f"{SITEMAP}lastmod")
        entries[url.find(f"{SITEMAP}loc").text] = {
            "lastmod": lastmod.text if lastmod is not None else None,
            "alternates": {
                link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
            },
        }
    return entries


def test_sitemap_lists_published_guides_in_both_languages_with_lastmod_and_translations(client):
    zh, en = published_pair()
    factories.guide(status=Guide.Status.DRAFT, slug="draft-guide")
    archived = factories.guide(status=Guide.Status.ARCHIVED, slug="archived-guide")
    entries = sitemap_entries(client)
    zh_url = f"http://testserver{zh.get_absolute_url()}"
    en_url = f"http://testserver{en.get_absolute_url()}"
    assert entries[zh_url]["lastmod"] == zh.content_updated_at.date().isoformat()
    assert entries[en_url]["lastmod"] == en.content_updated_at.date().isoformat()
    hant_url = zh_url.replace("/zh-hans/", "/zh-hant/")
    family = {"zh-hans": zh_url, "zh-hant": hant_url, "en": en_url, "x-default": zh_url}
    assert entries[zh_url]["alternates"] == family
    # A Simplified guide is also listed at its Traditional address, with the same family.
    assert entries[hant_url]["alternates"] == family
    assert entries[hant_url]["lastmod"] == entries[zh_url]["lastmod"]
    assert not any("draft-guide" in loc or archived.slug in loc for loc in entries)


def test_sitemap_lists_catalogue_pages_in_both_languages(client):
    published_pair()
    entries = sitemap_entries(client)
    for language in ("zh-hans", "en"):
        for path in ("", "carriers/t-mobile/", "countries/us/", "tasks/pause/"):
            assert f"http://testserver/{language}/{path}" in entries
    assert entries["http://testserver/en/carriers/t-mobile/"]["alternates"]["zh-hans"] == (
        "http://testserver/zh-hans/carriers/t-mobile/"
    )


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_forms(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    for path in ("/en/search/", "/en/guides/*/feedback/", "/zh-hans/request/"):
        assert f"Disallow: {path}\n" in body
    assert "admin" not in body  # the admin's path is not advertised
    assert "Disallow: /zh-hans/guides/\n" not in body
    assert "admin" not in body  # not named: the first place an attacker would look


def feed_entries(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return root, [
        {
            "title": entry.find(f"{ATOM}title").text,
            "id": entry.find(f"{ATOM}id").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": entry.find(f"{ATOM}updated").text,
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_the_site_feed_lists_published_guides_in_the_language_of_its_address(client):
    zh, en = published_pair()
    factories.guide(status=Guide.Status.DRAFT, title="Draft never in feed")
    _root, zh_entries = feed_entries(client, "/zh-hans/feed/")
    _root, en_entries = feed_entries(client, "/en/feed/")
    assert [e["title"] for e in zh_entries] == [zh.title]
    assert [e["title"] for e in en_entries] == [en.title]
    assert zh_entries[0]["id"] == f"http://testserver{zh.get_absolute_url()}"


def test_an_updated_guide_is_a_new_feed_entry_that_links_to_the_change(client):
    zh, _en = published_pair()
    GuideRevision.objects.create(guide=zh, number=2, note="第 2 步换了新按钮", data={})
    _root, entries = feed_entries(client, "/zh-hans/feed/")
    assert entries[0]["title"].endswith("（已更新）")  # the guide is in Chinese
    assert entries[0]["id"] == f"http://testserver{zh.get_absolute_url()}#revision-2"
    html = client.get(zh.get_absolute_url()).content.decode()
    assert 'id="revision-2"' in html


def test_the_carrier_feed_lists_only_that_carriers_guides(client):
    zh, _en = published_pair()
    other = factories.carrier(slug="att", name="AT&T")
    factories.guide(status=PUBLISHED, carrier_obj=other, title="AT&T guide")
    with translation.override("zh-hans"):
        root, entries = feed_entries(client, "/zh-hans/carriers/t-mobile/feed/")
    assert [e["title"] for e in entries] == [zh.title]
    assert "T-Mobile" in root.find(f"{ATOM}title").text
    assert client.get("/zh-hans/carriers/nope/feed/").status_code == 404


def test_pages_advertise_their_feeds(client):
    published_pair()
    html = client.get("/en/carriers/t-mobile/").content.decode()
    assert 'type="application/atom+xml"' in html
    assert 'href="/en/carriers/t-mobile/feed/"' in html and 'href="/en/feed/"' in html


def test_the_sitemap_is_an_index_of_files_each_page_cached_for_itself(client, monkeypatch):
    from kb.views import sitemaps

    zh, en = published_pair()
    monkeypatch.setattr(sitemaps.GuideSitemap, "limit", 1)
    files = sitemap_files(client)
    assert "http://testserver/sitemap-guides.xml" in files
    assert "http://testserver/sitemap-guides.xml?p=2" in files
    assert "http://testserver/sitemap-catalogue.xml" in files
    first = _entries(ET.fromstring(client.get("/sitemap-guides.xml").content))
    second = _entries(ET.fromstring(client.get("/sitemap-guides.xml?p=2").content))
    assert client.get("/sitemap-guides.xml?p=2")["X-Page-Cache"] == "hit"
    zh_url, en_url = (f"http://testserver{g.get_absolute_url()}" for g in (zh, en))
    hant_url = zh_url.replace("/zh-hans/", "/zh-hant/")
    assert list(first) == [zh_url, hant_url] and list(second) == [en_url]
    # Translations are linked even when they fall into different files.
    assert second[en_url]["alternates"] == {
        "zh-hans": zh_url,
        "zh-hant": hant_url,
        "en": en_url,
        "x-default": zh_url,
    }
    assert client.get("/sitemap-guides.xml?p=3").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_sitemap_files_are_sent_gzipped(client):
    import gzip

    published_pair()
    response = client.get("/sitemap-guides.xml", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert b"<urlset" in gzip.decompress(response.content)


def test_a_sitemap_file_is_what_djangos_template_renders_byte_for_byte(client, settings):
    """The file is written without the template (a tenth of the time at 50,000 addresses):
    it must stay the same bytes, escaping, lastmod in the site's time zone and alternates
    included."""
    from django.template.loader import render_to_string

    from kb.views import sitemaps

    settings.TIME_ZONE = "Asia/Shanghai"  # a lastmod near midnight UTC is the next day here
    zh, en = published_pair()
    Guide.objects.filter(pk=zh.pk).update(
        content_updated_at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
    )
    written = client.get("/sitemap-guides.xml").content.decode()
    assert "<lastmod>2026-03-02</lastmod>" in written
    urls = sitemaps.GuideSitemap().get_urls(page=1, protocol="http", site=_Site())
    urls.append({"location": "http://testserver/?a=1&b=\"<x>'", "priority": "0.5", "lastmod": None})
    assert sitemaps.urlset_xml(urls) == render_to_string("sitemap.xml", {"urlset": urls})
    assert written == sitemaps.urlset_xml(urls[:-1])


class _Site:
    domain = "testserver"


def test_a_publish_renders_the_sitemap_again_in_the_background(
    client, settings, django_capture_on_commit_callbacks
):
    from kb.services import hooks
    from tests.test_public_speed import another_process

    settings.KB_SITE_URL = "http://testserver"
    zh, _en = published_pair()
    client.get("/sitemap-guides.xml")
    new = factories.guide(status=PUBLISHED, slug="t-mobile-cancel", carrier_obj=zh.carrier)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.guide_visibility_changed(new)
    with another_process():
        response = client.get("/sitemap-guides.xml")
    assert response["X-Page-Cache"] == "shared"  # rendered after the change, not by a crawler
    assert b"/zh-hans/guides/t-mobile-cancel/" in response.content


def test_a_burst_of_publishes_waits_for_one_sitemap_render(django_capture_on_commit_callbacks):
    from kb.models import TaskRecord
    from kb.services import hooks

    zh, en = published_pair()
    with django_capture_on_commit_callbacks(execute=False):
        for guide in (zh, en, zh):
            hooks.guide_visibility_changed(guide)
        hooks.catalogue_changed()
    assert TaskRecord.objects.filter(name="kb.tasks.sitemaps_render").count() == 1
