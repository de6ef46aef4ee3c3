"""Search: normalization, terms, the catalogue lexicon, ranking and the index kept in step."""

import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import caching
from kb.models import Guide, SearchDocument
from kb.search import index
from kb.search.backends import get_backend
from kb.search.lexicon import get_lexicon
from kb.search.normalize import fold, normalize
from kb.search.query import analyze, search
from kb.search.tokens import compact, terms
from kb.services import hooks, workflow
from tests import factories, search_data

Status = Guide.Status
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


# --- Normalization and terms ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ＴＭＯＢＩＬＥ 續費", "tmobile 续费"),
        ("T-Mobile 註銷", "t-mobile 注销"),
        ("帳號", "账号"),
        ("AT＆T", "at&t"),
        ("Città", "citta"),
        ("a\x00b\x1fc", "a b c"),
    ],
)
def test_normalize_folds_width_case_accents_and_traditional_characters(typed, expected):
    assert normalize(typed) == expected


def test_normalize_leaves_simplified_text_as_it_is():
    # zhconv's full zh-cn table would turn 怎么正确 into 怎幺正确.
    assert normalize("怎么正确注销") == "怎么正确注销"


def test_fold_keeps_the_source_index_of_every_character():
    folded, offsets = fold("ＴＭ註銷")
    assert folded == "tm注销"
    assert offsets == [0, 1, 2, 3]


def test_chinese_becomes_overlapping_bigrams_and_a_lone_character_a_unigram():
    assert terms(normalize("如何注销")) == ["如何", "何注", "注销"]
    assert terms(normalize("eSIM卡")) == ["esim", "卡"]
    assert terms(normalize("tmobile卡注销")) == ["tmobil", "卡注", "注销"]


@pytest.mark.parametrize("name", ["T-Mobile", "T‑Mobile", "t~mobile", "T.Mobile", "T—Mobile"])
def test_decorated_brand_names_also_yield_the_joined_form(name):
    assert "tmobil" in terms(normalize(name))


def test_ampersand_names_are_joined_like_the_plain_spelling():
    assert "att" in terms(normalize("AT&T")) and "att" in terms(normalize("AT＆T"))
    assert compact(normalize("A T & T")) == compact(normalize("ATT"))


def test_english_words_are_stemmed_on_both_sides():
    assert terms(normalize("cancelled lines")) == terms(normalize("cancel line"))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_terms_are_only_letters_and_digits_whatever_the_text(text):
    for term in terms(normalize(text)):
        assert re.fullmatch(r"[^\W_]+", term)
        assert len(term) <= 64


# --- The lexicon: carriers, tasks and countries named in a query -------------------------------
def _named(query):
    analysis = analyze(query, get_lexicon(), get_backend().known_terms)
    return sorted((m.entity.kind, m.entity.slug, m.fuzzy) for m in analysis.mentions)


def test_aliases_synonyms_and_countries_are_read_from_the_catalogue(cat):
    assert _named("美国T~M卡远游卡如何注销") == [
        ("carrier", "t-mobile", False),
        ("country", "us", False),
        ("task", "cancel", False),
    ]
    assert _named("GG卡 保號") == [("carrier", "giffgaff", False), ("task", "keep-number", False)]
    assert _named("t mobile suspend") == [("carrier", "t-mobile", False), ("task", "pause", False)]


def test_an_alias_never_matches_inside_a_longer_word(cat):
    assert _named("timeline") == []
    assert _named("tim") == [("carrier", "tim", False)]


def test_the_longest_synonym_wins(cat):
    assert _named("停机保号") == [("task", "keep-number", False)]


def test_a_misspelt_carrier_within_a_small_edit_distance_still_matches(cat):
    assert _named("giffgaf 注销") == [("carrier", "giffgaff", True), ("task", "cancel", False)]
    assert _named("Verizn 暂停") == [("carrier", "verizon", True), ("task", "pause", False)]


def test_a_word_that_guides_contain_is_not_corrected(cat):
    search_data.published(
        cat.carriers.tmobile, cat.tasks.cancel, steps=[("Verizen", "A word in the guide.")]
    )
    assert _named("verizen") == []


def test_an_alias_added_in_the_catalogue_is_used_once_the_content_version_moves(
    cat, django_capture_on_commit_callbacks
):
    search_data.published(cat.carriers.tmobile, cat.tasks.cancel)
    assert top("Magenta 注销", 1)[0][0] == "t-mobile"  # through the task only
    assert _named("Magenta") == []
    carrier = cat.carriers.tmobile
    carrier.aliases += "\nMagenta"
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            carrier.save()
            hooks.catalogue_changed()
    assert _named("Magenta") == [("carrier", "t-mobile", False)]


# --- Ranking --------------------------------------------------------------------------------
@pytest.fixture
def guides(cat):
    c, t = cat.carriers, cat.tasks
    made = {}
    for carrier, task in [
        (c.tmobile, t.cancel),
        (c.tmobile, t.pause),
        (c.tmobile, t.renew),
        (c.verizon, t.cancel),
        (c.verizon, t.pause),
        (c.tim, t.cancel),
        (c.iliad, t.cancel),
        (c.iliad, t.renew),
        (c.giffgaff, t.keep),
        (c.giffgaff, t.cancel),
    ]:
        made[(carrier.slug, task.slug)] = search_data.published(carrier, task)
    made[("t-mobile", "cancel", "en")] = search_data.published(
        c.tmobile, t.cancel, language="en", translation_of=made[("t-mobile", "cancel")]
    )
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tmobile怎么注销", ("t-mobile", "cancel")),
        ("T-Mobile 註銷", ("t-mobile", "cancel")),
        ("ＴＭＯＢＩＬＥ 續費", ("t-mobile", "renew")),
        ("Tmobil 暂停", ("t-mobile", "pause")),
        ("giffgaff 停机保号", ("giffgaff", "keep-number")),
        ("how to pause t-mobile", ("t-mobile", "pause")),
        ("iliad disdetta", ("iliad", "cancel")),
        ("Verizon Wireless cancellation", ("verizon", "cancel")),
        ("意大利电信 销号", ("tim", "cancel")),
    ],
)
def test_a_query_naming_a_carrier_and_a_task_puts_that_guide_first(guides, query, expected):
    assert top(query, 1)[0][:2] == expected


def test_a_country_and_a_task_bring_that_countrys_guides_first(guides):
    first = top("意大利 怎么注销", 2)
    assert {carrier for carrier, _, _ in first} == {"tim", "iliad"}
    assert {task for _, task, _ in first} == {"cancel"}


def test_a_better_match_in_the_other_language_stays_first(guides):
    # "cancel" is in the English title only: it matches the query better whoever reads.
    for language in ("en", "zh-hans"):
        assert top("T-Mobile cancel", 2, language=language) == [
            ("t-mobile", "cancel", "en"),
            ("t-mobile", "cancel", "zh-hans"),
        ]
    for language in ("en", "zh-hans"):
        assert top("T-Mobile 注销", 1, language=language) == [("t-mobile", "cancel", "zh-hans")]


def test_a_carrier_match_outranks_a_guide_that_only_mentions_the_words(cat):
    c, t = cat.carriers, cat.tasks
    search_data.published(
        c.verizon,
        t.renew,
        title="人在国外如何给 Verizon 充值（不同于 T-Mobile 暂停）",
        steps=[("T-Mobile 暂停 的区别", "T-Mobile 暂停 T-Mobile 暂停")],
    )
    search_data.published(c.tmobile, t.pause, title="暂停服务")
    assert top("T-Mobile 暂停", 1)[0][:2] == ("t-mobile", "pause")


def test_text_alone_finds_a_guide_when_the_query_names_nothing(cat):
    search_data.published(
        cat.carriers.tim,
        cat.tasks.renew,
        steps=[("用 PayPal 付款", "在 MyTIM 里选择 PayPal 付款方式。")],
    )
    search_data.published(cat.carriers.iliad, cat.tasks.renew)
    assert top("paypal 付款", 1)[0][:2] == ("tim", "renew")


def test_only_published_guides_ever_appear(cat):
    c, t = cat.carriers, cat.tasks
    live = search_data.published(c.tmobile, t.cancel)
    for status in (Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED):
        guide = factories.guide(
            status=status, carrier_obj=c.tmobile, task_obj=t.cancel, title="T-Mobile 注销 草稿"
        )
        # Even a stray index row (never made by the services) cannot bring it back.
        index.document_for(guide).save()
    copy = factories.guide(
        status=Status.DRAFT, carrier_obj=c.tmobile, task_obj=t.cancel, draft_of=live, title="注销"
    )
    index.document_for(copy).save()
    assert [hit.guide_id for hit in search("T-Mobile 注销").hits] == [live.pk]


@pytest.mark.parametrize(
    "query", ['"T-Mobile" OR NEAR(注销, 2)', "t* -mobile title:注销", "{T-Mobile} ^注销$"]
)
def test_query_syntax_is_read_as_words(guides, query):
    assert top(query, 1)[0][:2] == ("t-mobile", "cancel")


def test_sql_in_a_query_is_only_text(guides):
    search("'; DROP TABLE kb_guide; --")
    search("注销' OR '1'='1")
    assert Guide.objects.published().count() == len(guides)


# --- The index kept in step by the services ------------------------------------------------
def test_publishing_indexes_the_guide_and_archiving_removes_it(cat):
    editor, reviewer = factories.editor(), factories.reviewer()
    guide = factories.guide(
        carrier_obj=cat.carriers.iliad,
        task_obj=cat.tasks.cancel,
        title="iliad 销号",
        updated_by=editor,
    )
    workflow.guide_submit(guide=guide, user=editor)
    assert not SearchDocument.objects.exists()
    guide = workflow.guide_publish(guide=guide, user=reviewer)
    assert [h.guide_id for h in search("iliad 销号").hits] == [guide.pk]
    workflow.guide_archive(guide=guide, user=reviewer, reason="gone")
    assert not SearchDocument.objects.exists()
    assert search("iliad 销号").hits == []


def test_a_published_change_replaces_the_old_terms(cat):
    editor, reviewer = factories.editor(), factories.reviewer()
    guide = search_data.published(
        cat.carriers.tim, cat.tasks.renew, steps=[("旧步骤", "使用 Postepay 充值")]
    )
    copy = workflow.guide_start_change(guide=guide, user=editor)
    copy.steps.update(body="使用 Satispay 充值")
    copy.updated_by = editor
    copy.save()
    workflow.guide_submit(guide=copy, user=editor)
    workflow.guide_publish(guide=copy, user=reviewer)
    assert [h.guide_id for h in search("satispay").hits] == [guide.pk]
    assert search("postepay").hits == []


def test_the_index_rolls_back_with_the_publish_that_failed(cat):
    editor, reviewer = factories.editor(), factories.reviewer()
    guide = factories.guide(
        carrier_obj=cat.carriers.iliad, task_obj=cat.tasks.cancel, updated_by=editor
    )
    workflow.guide_submit(guide=guide, user=editor)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.guide_publish(guide=guide, user=reviewer)
        assert SearchDocument.objects.filter(guide=guide).exists()
        raise RuntimeError("something after the publish failed")
    assert not SearchDocument.objects.exists()


def test_rebuild_search_index_makes_every_row_again(guides):
    published = Guide.objects.published().count()
    SearchDocument.objects.filter(guide__carrier__slug="t-mobile").delete()
    SearchDocument.objects.update(body_terms="")
    call_command("rebuild_search_index", stdout=open_devnull())
    assert SearchDocument.objects.count() == published
    assert top("T-Mobile 註銷", 1)[0][:2] == ("t-mobile", "cancel")
    assert search("收不到验证码").hits


def open_devnull():
    import io

    return io.StringIO()


# --- Backends ---------------------------------------------------------------------------------
def _reference_match(clause):
    """What the index must answer, worked out from the stored terms in Python."""
    found = []
    for doc in SearchDocument.objects.order_by("-guide_id"):
        held = set(f"{doc.title_terms} {doc.summary_terms} {doc.body_terms}".split())
        if all(held.intersection(group) for group in clause):
            found.append(doc.guide_id)
    return found


@pytest.mark.parametrize(
    "clause",
    [
        [["tmobil"], ["注销"]],
        [["tmobil", "iliad"]],
        [["收不"], ["验证"], ["tmobil", "giffgaff"]],
        [["注销"], ["nosuchterm"]],
        [["cancel", "暂停"], ["tmobil"]],
    ],
)
def test_backend_answers_a_clause_as_the_stored_terms_say(guides, clause):
    assert get_backend().match(clause, 100) == _reference_match(clause)


def test_backend_returns_the_newest_matches_up_to_the_limit(guides):
    assert get_backend().match([["收不"]], 2) == _reference_match([["收不"]])[:2]


def test_backend_knows_which_terms_guides_contain(guides):
    assert get_backend().known_terms(["注销", "zzqqxx"]) == {"注销"}


def test_index_terms_reach_the_database_unchanged(guides):
    # PostgreSQL's parser and FTS5's unicode61 must keep every term whole (Chinese included).
    backend = get_backend()
    for term in ["收不", "验证", "tmobil", "注销"]:
        assert backend.known_terms([term]) == {term}, (connection.vendor, term)


def test_search_stays_correct_after_the_cache_is_cleared(guides):
    from django.core.cache import cache

    assert top("T-Mobile 註銷", 1)[0][:2] == ("t-mobile", "cancel")
    cache.clear()
    caching.content_version()
    assert top("T-Mobile 註銷", 1)[0][:2] == ("t-mobile", "cancel")
