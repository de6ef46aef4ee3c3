"""The UK and Italian demo guides: sources, translations, timelines and contact from abroad.

Most checks read the YAML files directly (they are the reviewed source of the demo content); one
loads the demo to show the English versions arrive linked to their originals.
"""

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from kb.services.demo import DEMO_DIR
from tests.test_demo_content import cited_as_read

CARRIER_DOMAINS = {
    "giffgaff": ("giffgaff.com",),
    "three-uk": ("three.co.uk",),
    "tim": ("tim.it",),
    "vodafone-it": ("vodafone.it",),
    "windtre": ("windtre.it",),
    "iliad": ("iliad.it",),
}
COUNTRY_DOMAINS = {
    "gb": ("giffgaff.com", "three.co.uk", "ofcom.org.uk"),
    "it": ("tim.it", "vodafone.it", "windtre.it", "iliad.it", "agcom.it"),
}
FROM_ABROAD_MARK = {"zh-hans": "从国外联系", "en": "from abroad"}
COMPARISON_ROWS = {
    "zh-hans": ("每月成本", "不用多久会停用", "什么算", "从国外充值"),
    "en": ("Cost per month", "Survives unused for", "What counts", "Topping up from abroad"),
}
HEDGES = (
    "以官网为准",
    "官网说明",
    "以官网当前说明为准",
    "为准",
    "is set out on",
    "as published by",
)


def _guides():
    guides = []
    for path in sorted((DEMO_DIR / "guides").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("carrier") in CARRIER_DOMAINS or (
            not data.get("carrier") and data.get("country") in COUNTRY_DOMAINS
        ):
            guides.append((path, data))
    return guides


def _published():
    return [(path, data) for path, data in _guides() if data.get("status") == "published"]


def _text(data) -> str:
    keys = ("title", "summary", "prerequisites", "risk_notes", "unconfirmed")
    parts = [data.get(key) or "" for key in keys]
    parts.append(data.get("tips") or "")
    for step in data.get("steps", []):
        parts += [step.get("title", ""), step.get("body", ""), step.get("tip") or ""]
        parts.append(step.get("warning") or "")
    for problem in data.get("problems", []):
        parts += [problem.get("symptom", ""), problem.get("cause", ""), problem.get("solution", "")]
    return "\n".join(parts)


REGULATOR = {"gb": ("ofcom.org.uk",), "it": ("agcom.it",)}


def _domains(data):
    """Where a dated source may be: the carrier's own site or its country's regulator (for
    rules such as number portability); a country-wide guide, any of its carriers too."""
    if data.get("carrier"):
        return CARRIER_DOMAINS[data["carrier"]] + REGULATOR[data["country"]]
    return COUNTRY_DOMAINS[data["country"]]


def _own_domains(data):
    return CARRIER_DOMAINS[data["carrier"]] if data.get("carrier") else _domains(data)


def _on(url: str, domains) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


PUBLISHED = _published()
IDS = [path.name for path, _ in PUBLISHED]
PUBLISHED_SLUGS = {(data["slug"], data["language"]) for _, data in PUBLISHED}


def test_the_uk_and_italian_content_is_present():
    assert len(PUBLISHED) >= 38
    assert {data["carrier"] for _, data in PUBLISHED if data.get("carrier")} == set(CARRIER_DOMAINS)


@pytest.mark.parametrize(("path", "data"), PUBLISHED, ids=IDS)
def test_a_dated_source_is_always_a_page_on_the_carriers_own_domain(path, data):
    for source in data["sources"]:
        assert cited_as_read(source["url"]), source["url"]
        if source.get("accessed_on"):
            assert isinstance(source["accessed_on"], dt.date), source
            assert _on(source["url"], _domains(data)), source["url"]


@pytest.mark.parametrize(("path", "data"), PUBLISHED, ids=IDS)
def test_a_guide_without_a_dated_carrier_page_says_what_is_unconfirmed(path, data):
    dated = [
        s for s in data["sources"] if s.get("accessed_on") and _on(s["url"], _own_domains(data))
    ]
    if not dated:
        assert (data.get("unconfirmed") or "").strip(), path.name


@pytest.mark.parametrize(("path", "data"), PUBLISHED, ids=IDS)
def test_verified_means_every_source_dated_and_otherwise_the_reader_is_told_what_is_open(
    path, data
):
    if data.get("verified_on"):
        assert all(source.get("accessed_on") for source in data["sources"]), path.name
        assert not data.get("unconfirmed"), path.name
    else:
        assert len((data.get("unconfirmed") or "").strip()) > 20, path.name


@pytest.mark.parametrize(("path", "data"), PUBLISHED, ids=IDS)
def test_every_guide_says_how_to_reach_the_carrier_from_abroad(path, data):
    assert FROM_ABROAD_MARK[data["language"]] in (data.get("tips") or ""), path.name


@pytest.mark.parametrize(("path", "data"), PUBLISHED, ids=IDS)
def test_no_hedge_stands_in_for_a_fact(path, data):
    text = _text(data)
    for hedge in HEDGES:
        assert hedge not in text, f"{path.name}: {hedge}"


@pytest.mark.parametrize(
    ("path", "data"),
    [(p, d) for p, d in PUBLISHED if d["task"] in ("renew", "keep-number")],
    ids=[p.name for p, d in PUBLISHED if d["task"] in ("renew", "keep-number")],
)
def test_renew_and_keep_number_guides_show_the_no_top_up_timeline_or_the_country_comparison(
    path, data
):
    tips = data.get("tips") or ""
    assert "|---|" in tips, path.name
    if data.get("carrier"):
        heading = "时间线" if data["language"] == "zh-hans" else "What happens if you don't"
        assert heading in tips, path.name
    else:
        rows = COMPARISON_ROWS[data["language"]]
        assert all(row in tips for row in rows), path.name


def test_every_published_chinese_guide_has_a_published_english_version():
    by_key = {(data["key"], data["language"]): data for _, data in PUBLISHED}
    for (key, language), data in by_key.items():
        if language == "zh-hans":
            english = by_key.get((key, "en"))
            assert english, key
            assert (english["carrier"], english["country"], english["task"]) == (
                data["carrier"],
                data["country"],
                data["task"],
            )


def test_no_uk_or_italian_number_portability_to_a_foreign_carrier_is_suggested():
    for path, data in PUBLISHED:
        if data["country"] == "it" and data["task"] in ("cancel", "port-out"):
            text = _text(data)
            assert "意大利运营商之间" in text or "between operators in Italy" in text, path.name


def _giffgaff_keep_number(language):
    path = Path(DEMO_DIR / "guides" / f"giffgaff-keep-number.{language}.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_giffgaff_wifi_calling_advice_agrees_with_the_accepted_reader_correction():
    corrections = yaml.safe_load((DEMO_DIR / "corrections.yaml").read_text(encoding="utf-8"))
    accepted = [
        c
        for c in corrections["corrections"]
        if c["guide"] == "giffgaff-keep-number" and c.get("outcome") == "accepted"
    ]
    assert accepted and "Wi-Fi" in accepted[0]["proposed_text"]
    assert "算" in accepted[0]["proposed_text"]
    zh, en = _giffgaff_keep_number("zh-hans"), _giffgaff_keep_number("en")
    assert "Wi-Fi 通话" in zh["tips"] and "同样算数" in zh["tips"]
    assert "Wi-Fi Calling" in en["tips"] and "counts just like" in en["tips"]
    for text in (_text(zh), _text(en)):
        assert "只能在英国" not in text
        assert "only works inside the UK" not in text
        assert "cannot keep the number alive" not in text


@pytest.mark.django_db
def test_loading_the_demo_links_each_english_version_to_its_chinese_original():
    from django.core.management import call_command

    from kb.models import Guide

    call_command("load_demo", "--no-accounts", stdout=open("/dev/null", "w"))
    english = Guide.objects.published().filter(
        language="en", carrier__slug__in=list(CARRIER_DOMAINS)
    )
    assert english.count() >= 10
    for guide in english:
        assert guide.translation_of is not None, guide.slug
        assert guide.translation_of.language == "zh-hans"
        assert guide.translation_of.carrier_id == guide.carrier_id
        assert guide.translation_of.task_id == guide.task_id
    country_wide = Guide.objects.published().get(slug="it-cancel-esim", language="en")
    assert country_wide.carrier is None
    assert country_wide.translation_of.slug == "it-cancel-esim"


def test_port_out_guides_exist_for_every_uk_and_italian_carrier_in_both_languages():
    port_out = {(d["carrier"], d["language"]) for _, d in PUBLISHED if d["task"] == "port-out"}
    assert port_out == {(slug, lang) for slug in CARRIER_DOMAINS for lang in ("zh-hans", "en")}


def test_country_guides_link_readers_to_the_carrier_guides():
    for path, data in PUBLISHED:
        if not data.get("carrier") and data["task"] == "keep-number":
            prefix = "/zh-hans/guides/" if data["language"] == "zh-hans" else "/en/guides/"
            linked = re.findall(r"\]\((/[a-z-]+/guides/[a-z0-9-]+/)\)", data["tips"])
            assert len(linked) >= 4, path.name
            for url in linked:
                assert url.startswith(prefix), url
                slug = url.rstrip("/").rsplit("/", 1)[1]
                assert (slug, data["language"]) in PUBLISHED_SLUGS, url
