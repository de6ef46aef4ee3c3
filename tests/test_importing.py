import json
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kb.importing.detection import Catalogue, detect
from kb.importing.parsing import parse_article
from kb.importing.promo import find_promotion, strip_promotion
from kb.importing.reading import ArticleError, SourcePathError, collect_files, decode_article
from kb.models import Guide, GuideEvent
from kb.models.catalogue import SLUG_RE
from kb.services.importing import guide_import_file, guides_import, slug_for
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-hans."""
    with translation.override("en"):
        yield


COUNTRIES = (
    ("us", "美国", "United States"),
    ("it", "意大利", "Italy"),
    ("gb", "英国", "United Kingdom"),
)
CARRIERS = (
    ("t-mobile", "T-Mobile", "us", "Tmobile\nTMobile\nT mobile\nT-Mo\nTMO\nT家\nTmoble\nT~M"),
    ("att", "AT&T", "us", "ATT\nAT and T"),
    ("verizon", "Verizon", "us", "Verizon Wireless\nVZW"),
    ("tim", "TIM", "it", "Telecom Italia"),
    ("vodafone-it", "Vodafone Italia", "it", "Vodafone\n沃达丰"),
    ("windtre", "WINDTRE", "it", "Wind Tre\nWindTre"),
    ("iliad", "iliad", "it", "Iliad Italia"),
    ("giffgaff", "giffgaff", "gb", "GG\nGG卡\ngiff gaff"),
)
TASKS = (
    ("pause", "暂停服务", "Pause a line", "暂停\n停机\nsuspend\npause"),
    ("cancel", "注销线路", "Cancel a line", "注销\n销号\n销户\ncancel\nterminate"),
    ("renew", "充值续费", "Top up or renew", "充值\n续费\ntop up\nrecharge\nrenew"),
    ("activate-esim", "激活 eSIM", "Activate an eSIM", "激活\n开通\nactivate"),
    (
        "transfer-esim",
        "转移 eSIM 到新手机",
        "Move an eSIM to a new phone",
        "转移\n换手机\ntransfer",
    ),
    ("keep-number", "保号", "Keep a number alive", "保号\n保留号码\nkeep number"),
)

# file: status, carrier, country, task, steps, problems, notes, promotion that must be gone
# fmt: off
EXPECTED = {
    "heading-steps.md": ("created", "t-mobile", "us", "keep-number", 4, 2, 4,
                         ("simdeals_bot", "t.me", "私信咨询", "example-cdn.net")),
    "bold-heading-steps.md": ("created", "t-mobile", "us", "pause", 4, 0, 2,
                              ("simhelper", "t.me", "imgbox", "TG💪")),
    "list-steps.md": ("created", "t-mobile", "us", "renew", 5, 0, 4,
                      ("simhelper2024", "wa.me", "客服微信")),
    "ordinal-steps.md": ("created", "t-mobile", "us", "activate-esim", 4, 0, 2, ("esim_shop_cn",)),
    "bujuyi-steps.md": ("created", "att", "us", "transfer-esim", 3, 0, 2, ("公众号", "美卡小助手")),
    "bold-titles.md": ("created", "verizon", "us", "pause", 3, 0, 1, ()),
    "italy-countrywide.md": ("created", None, "it", "renew", 3, 1, 2,
                             ("itasim", "t.me", "<img", "promo-example")),
    "plain-bom.txt": ("created", "giffgaff", "gb", "keep-number", 3, 0, 1, ()),
    "two-carriers.md": ("created", None, "us", "cancel", 4, 0, 0, ()),
    "no-steps.md": ("created", "t-mobile", "us", "cancel", 0, 0, 2, ()),
    "no-country.md": ("failed", None, None, None, 3, 0, 0, ()),
    "gbk.md": ("failed", None, None, None, 0, 0, 0, ()),
    "empty.md": ("failed", None, None, None, 0, 0, 0, ()),
    "binary.md": ("failed", None, None, None, 0, 0, 0, ()),
}
# fmt: on


def build_catalogue():
    for slug, name_zh, name_en in COUNTRIES:
        factories.country(slug, name_zh=name_zh, name_en=name_en)
    for slug, name, country_slug, aliases in CARRIERS:
        factories.carrier(slug, name, country_slug, aliases)
    for slug, name_zh, name_en, synonyms in TASKS:
        factories.task(slug, name_zh, name_en, synonyms)
    return Catalogue.load()


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def stored_texts(guide: Guide) -> list[str]:
    texts = [guide.title, guide.summary, guide.prerequisites, guide.risk_notes, guide.tips]
    texts += [guide.tips_html, guide.prerequisites_html]
    for step in guide.steps.all():
        texts += [step.title, step.body, step.tip, step.warning, step.body_html]
    for problem in guide.problems.all():
        texts += [problem.symptom, problem.cause, problem.solution, problem.solution_html]
    return texts


def assert_no_promotion(guide: Guide, extra: tuple[str, ...] = ()) -> None:
    for text in stored_texts(guide):
        assert find_promotion(text) == [], text
        for needle in extra:
            assert needle not in text


def import_fixture(name: str, **kwargs):
    return guide_import_file(path=FIXTURES / name, **kwargs)


# --- Reading -------------------------------------------------------------------------------


def test_utf8_with_and_without_bom_reads_the_same_text():
    plain = decode_article("# 标题\r\n正文".encode())
    with_bom = decode_article(b"\xef\xbb\xbf" + "# 标题\r\n正文".encode())
    assert plain.text == with_bom.text == "# 标题\n正文"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \n\n", "empty"),
        ("# 美国号码怎么注销\n".encode("gbk"), "GBK"),
        (b"caf\xe9 latin-1 text\n", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("# UTF-16\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_unreadable_files_give_one_clear_sentence(data, message):
    with pytest.raises(ArticleError) as error:
        decode_article(data)
    assert message in str(error.value)
    assert str(error.value).endswith(".")


def test_folders_yield_markdown_and_text_files_and_missing_paths_are_refused(tmp_path):
    (tmp_path / "a.md").write_text("# a", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.md").write_text("x", encoding="utf-8")
    assert collect_files([tmp_path]) == [tmp_path / "a.md", tmp_path / "sub" / "b.txt"]
    assert collect_files([tmp_path / "c.png"]) == [tmp_path / "c.png"]
    with pytest.raises(SourcePathError, match="no such file"):
        collect_files([tmp_path / "missing.md"])


# --- Promotion -----------------------------------------------------------------------------


def test_messenger_links_handles_and_images_are_removed_and_listed():
    text = (
        "# 怎么注销？[[TG💪+ @esim_deals](https://t.me/s/esim_deals)]\n\n"
        "正文第一段。记得关注[TG @esim_deals](https://t.me/esim_deals)，获取更多实用资讯！\n\n"
        "![Image](https://i.postimg.example/x.png)\n"
        "微信：esimhelper88\n"
        '<img src="https://cdn.example.net/a.jpg">\n'
        "@esim_deals\n"
    )
    cleaned = strip_promotion(text)
    assert cleaned.text == "# 怎么注销？\n\n正文第一段。\n"
    assert find_promotion(cleaned.text) == []
    assert cleaned.summary == [
        "link https://t.me/s/esim_deals",
        "link https://t.me/esim_deals",
        "text “记得关注，获取更多实用资讯！”",
        "image https://i.postimg.example/x.png",
        "handle 微信：esimhelper88",
        "image https://cdn.example.net/a.jpg",
        "handle @esim_deals",
    ]


def test_repeated_promo_line_is_removed_everywhere_and_counted():
    text = (
        "# 标题\n\n🔥 美国eSIM限时优惠，欢迎咨询！\n\n正文。\n\n🔥 美国eSIM限时优惠，欢迎咨询！\n"
    )
    cleaned = strip_promotion(text)
    assert "优惠" not in cleaned.text
    assert cleaned.summary == ["repeated line “🔥 美国eSIM限时优惠，欢迎咨询！” ×2"]


def test_official_links_emails_and_ordinary_sentences_are_kept():
    text = (
        "访问官网（[www.t-mobile.com](https://www.t-mobile.com)）登录账户。\n"
        "也可以写信到 help@example.com 询问。\n"
        "关注账单周期，避免意外扣费。\n"
    )
    cleaned = strip_promotion(text)
    assert cleaned.text == text
    assert cleaned.removed == []


# --- Parsing -------------------------------------------------------------------------------


def test_steps_are_the_numbered_block_under_the_how_to_heading():
    article = parse_article(
        "# 怎么注销\n\n## 为什么要注销\n\n1. 省钱\n2. 安全\n3. 释放号码\n\n"
        "## 几种情况\n\n### 1. 主动暂停\n\n说明。\n\n### 2. 被动暂停\n\n说明。\n\n"
        "## 如何注销\n\n以下是步骤：\n\n1. **登录**：打开官网。\n2. **提交**：填写申请。\n"
    )
    assert [step.title for step in article.steps] == ["登录", "提交"]
    assert [step.body for step in article.steps] == ["打开官网。", "填写申请。"]
    assert "以下是步骤" not in article.tips
    assert "省钱" in article.tips and "主动暂停" in article.tips


def test_chinese_section_numbers_are_not_steps_but_the_numbered_subheadings_are():
    article = parse_article(
        "**怎么注销？**\n\n引言。\n\n### **一、为什么**\n\n原因。\n\n"
        "### **二、具体步骤**\n\n#### **1. 确认条件**\n- 结清账单\n\n#### **2. 登录官网**\n登录。\n\n"
        "### **三、总结**\n\n很简单。\n"
    )
    assert article.title == "怎么注销？"
    assert [step.title for step in article.steps] == ["确认条件", "登录官网"]
    assert article.steps[0].body == "- 结清账单"
    assert [block.kind for block in article.blocks] == ["section", "summary"]


def test_reasons_list_alone_is_not_taken_for_steps():
    article = parse_article("# 为什么要保号\n\n## 原因\n\n1. 收验证码\n2. 留住号码\n")
    assert article.steps == []
    assert "收验证码" in article.tips


def test_problems_split_into_symptom_cause_and_solution():
    article = parse_article(
        "# 标题\n\n## 常见问题\n\n### 问题一：收不到短信怎么办？\n\n**原因：** 漫游没开。\n\n"
        "**解决方法：** 打开漫游。\n\n### 扫码失败怎么办？\n\n换个网络再试。\n\n"
        "问题三：余额不退？原因：规则不同。\n解决方法：联系客服。\n"
    )
    assert [(p.symptom, p.cause, p.solution) for p in article.problems] == [
        ("收不到短信怎么办？", "漫游没开。", "打开漫游。"),
        ("扫码失败怎么办？", "", "换个网络再试。"),
        ("余额不退？", "规则不同。", "联系客服。"),
    ]


def test_tip_and_warning_paragraphs_inside_a_step_move_to_the_step():
    article = parse_article(
        "# 标题\n\n## 步骤\n\n### 1. 登录\n\n打开 App。\n\n**小贴士：** 先截图。\n\n"
        "注意：不要删除 eSIM。\n\n### 2. 提交\n\n点提交。\n"
    )
    first = article.steps[0]
    assert (first.body, first.tip, first.warning) == ("打开 App。", "先截图。", "不要删除 eSIM。")
    assert article.notes == 2


# --- Detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Tmobile", "Tmoble", "T~M", "T-Mobile", "T Mobile", "TMobile", "T－Mobile"]
)
def test_decorated_and_misspelt_carrier_names_are_recognised(catalogue, name):
    result = detect(catalogue, f"怎么注销{name}卡？", f"{name}的注销方法如下。")
    assert (result.carrier.slug, result.country.slug, result.task.slug) == (
        "t-mobile",
        "us",
        "cancel",
    )
    assert result.warnings == []


def test_misspelling_outside_the_aliases_is_guessed_and_flagged(catalogue):
    result = detect(catalogue, "Verizn号码怎么暂停？", "登录账户后暂停线路。")
    assert result.carrier.slug == "verizon"
    assert result.warnings == ["Carrier Verizon recognised from the spelling “Verizn”; check it."]


def test_country_wide_article_gets_the_country_and_no_carrier(catalogue):
    result = detect(
        catalogue,
        "意大利eSIM怎么充值？",
        "TIM、Vodafone、WindTre 和 iliad 都可以在网上充值。",
    )
    assert result.carrier is None
    assert result.country.slug == "it"
    assert result.task.slug == "renew"
    assert "Carrier left empty" in result.warnings[0]


def test_two_carriers_named_equally_leave_the_carrier_empty_but_keep_their_country(catalogue):
    result = detect(catalogue, "T-Mobile和AT&T怎么注销？", "T-Mobile 和 AT&T 的流程一样。")
    assert result.carrier is None and result.country.slug == "us"
    assert result.warnings == [
        "Carrier left empty: the text names T-Mobile, AT&T without one clearly ahead."
    ]


def test_country_where_the_reader_lives_does_not_replace_the_carriers_country(catalogue):
    result = detect(catalogue, "人在英国怎么注销T-Mobile号码？", "在英国也能注销。")
    assert (result.carrier.slug, result.country.slug) == ("t-mobile", "us")


def test_a_carrier_mentioned_once_in_passing_is_not_chosen(catalogue):
    result = detect(catalogue, "美国号码怎么保号？", "有人用 Verizon，也有人用别的。保号很重要。")
    assert result.carrier is None and result.country.slug == "us"
    assert result.task.slug == "keep-number"


def test_article_with_two_tasks_in_equal_measure_fails_with_the_candidates(catalogue):
    result = detect(catalogue, "T-Mobile暂停还是注销？", "暂停和注销各有好处。")
    assert result.task is None
    assert result.error == "No task chosen: the text fits pause, cancel about equally."


# --- The service ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_imports_with_the_expected_fields_and_no_promotion(catalogue, name):
    status, carrier, country, task, steps, problems, notes, promo = EXPECTED[name]
    report = import_fixture(name, catalogue=catalogue)
    assert (report.status, report.carrier, report.country, report.task) == (
        status,
        carrier,
        country,
        task,
    ), report.error
    assert (report.steps, report.problems, report.notes) == (steps, problems, notes)
    if status == "failed":
        assert report.error and report.guide is None
        assert not Guide.objects.exists()
        return
    assert report.error is None
    guide = Guide.objects.get(pk=report.guide)
    assert guide.status == Guide.Status.DRAFT
    assert (guide.steps.count(), guide.problems.count()) == (steps, problems)
    assert (guide.carrier.slug if guide.carrier else None) == carrier
    assert guide.country.slug == country and guide.task.slug == task
    assert_no_promotion(guide, promo)
    assert bool(report.stripped) == bool(promo)


def test_failure_reasons_are_reported_per_file(catalogue):
    errors = {name: import_fixture(name, catalogue=catalogue).error for name in EXPECTED}
    assert errors["gbk.md"] == (
        "The file is not UTF-8 (it looks like GBK); save it as UTF-8 and try again."
    )
    assert errors["empty.md"] == "The file is empty."
    assert errors["binary.md"] == "The file is not text (it contains binary data)."
    assert errors["no-country.md"] == (
        "No country found: the text names no carrier or country from the catalogue."
    )


def test_import_creates_a_draft_with_its_origin_and_an_audit_event(catalogue):
    report = import_fixture("heading-steps.md", catalogue=catalogue)
    guide = Guide.objects.get(pk=report.guide)
    assert guide.origin_file == str((FIXTURES / "heading-steps.md").resolve())
    assert len(guide.origin_hash) == 64 and guide.imported_at is not None
    assert guide.updated_by is None and guide.created_by is None
    assert guide.title == "人在国外怎么给Tmoble号码保号？"
    assert guide.slug == f"import-{guide.origin_hash[:8]}"
    assert guide.language == "zh-hans"
    assert guide.summary.startswith("出国以后，很多人还想留着美国的T~M号码")
    step = guide.steps.get(position=1)
    assert (step.title, step.tip) == (
        "确认线路类型和到期日",
        "截图保存套餐页面，以后联系客服时能说清楚。",
    )
    assert guide.steps.get(position=2).warning == "有些旧套餐一旦换掉就不能再换回来。"
    problem = guide.problems.get(position=2)
    assert (problem.symptom, problem.cause) == ("自动付款失败怎么办？", "发卡行拒绝了境外扣款。")
    assert "每隔一两个月登录一次账户" in guide.tips and "<ul>" in guide.tips_html
    event = guide.events.get()
    assert event.action == GuideEvent.Action.IMPORTED and event.actor is None
    assert event.note.endswith("heading-steps.md")


def test_english_article_gets_an_ascii_slug_and_its_sections(catalogue):
    guide = Guide.objects.get(pk=import_fixture("italy-countrywide.md", catalogue=catalogue).guide)
    assert guide.language == "en"
    assert guide.slug == "how-to-top-up-an-italian-prepaid-esim-from-abroad"
    assert guide.carrier is None
    assert "Your Italian phone number" in guide.prerequisites
    assert "Top up a few days before" in guide.tips
    assert (
        guide.problems.get().cause == "some banks block payments to Italian merchants by default."
    )


def test_language_option_overrides_detection(catalogue):
    report = import_fixture("ordinal-steps.md", catalogue=catalogue, language="en")
    assert Guide.objects.get(pk=report.guide).language == "en"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("美国T~M卡远游卡如何注销？", "import-0123abcd"),
        ("How to cancel T-Mobile_from abroad!", "how-to-cancel-t-mobile-from-abroad"),
        ("??", "import-0123abcd"),
        ("A " + "very-long-word " * 20, None),
    ],
)
def test_slug_is_always_valid(title, slug):
    result = slug_for(title, "0123abcd" + "0" * 56)
    if slug:
        assert result == slug
    assert len(result) <= 80
    assert re.fullmatch(SLUG_RE, result)


def test_reimporting_the_same_file_is_idempotent(catalogue):
    first = import_fixture("heading-steps.md", catalogue=catalogue)
    second = import_fixture("heading-steps.md", catalogue=catalogue)
    assert (first.status, second.status) == ("created", "updated")
    assert first.guide == second.guide
    assert Guide.objects.count() == 1
    guide = Guide.objects.get()
    assert (guide.steps.count(), guide.problems.count(), guide.events.count()) == (4, 2, 1)


def test_changed_source_updates_the_draft_it_made(catalogue, tmp_path):
    path = tmp_path / "article.md"
    shutil.copy(FIXTURES / "ordinal-steps.md", path)
    created = guide_import_file(path=path, catalogue=catalogue)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "第四步：给线路命名", "第四步：重启手机。\n\n第五步：给线路命名"
        ),
        encoding="utf-8",
    )
    updated = guide_import_file(path=path, catalogue=catalogue)
    assert (updated.status, updated.guide, updated.steps) == ("updated", created.guide, 5)
    guide = Guide.objects.get()
    assert list(guide.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    assert [e.note.split(" ")[0] for e in guide.events.order_by("id")] == [
        "Imported",
        "Re-imported",
    ]


def test_a_renamed_copy_refreshes_the_same_draft_by_content_hash(catalogue, tmp_path):
    created = import_fixture("bujuyi-steps.md", catalogue=catalogue)
    copy = tmp_path / "renamed.md"
    shutil.copy(FIXTURES / "bujuyi-steps.md", copy)
    report = guide_import_file(path=copy, catalogue=catalogue)
    assert (report.status, report.guide) == ("updated", created.guide)
    assert Guide.objects.get().origin_file == str(copy.resolve())


def test_a_draft_an_editor_has_saved_is_never_overwritten(catalogue):
    report = import_fixture("heading-steps.md", catalogue=catalogue)
    guide = Guide.objects.get(pk=report.guide)
    guide.title = "编辑改过的标题"
    guide.updated_by = factories.editor()
    guide.save()
    again = import_fixture("heading-steps.md", catalogue=catalogue)
    assert again.status == "failed"
    assert again.error == (
        f"Not imported: guide #{guide.pk} made from this file has since been edited or moved "
        "on from draft, so it is left as it is."
    )
    guide.refresh_from_db()
    assert guide.title == "编辑改过的标题" and guide.steps.count() == 4


@pytest.mark.parametrize("status", [Guide.Status.IN_REVIEW, Guide.Status.PUBLISHED])
def test_a_guide_moved_on_from_draft_is_left_alone(catalogue, status):
    report = import_fixture("bold-titles.md", catalogue=catalogue)
    Guide.objects.filter(pk=report.guide).update(status=status, published_at="2025-01-01T00:00Z")
    again = import_fixture("bold-titles.md", catalogue=catalogue)
    assert again.status == "failed" and "left as it is" in again.error
    assert Guide.objects.get().status == status


def test_dry_run_reports_the_same_and_writes_nothing(catalogue):
    dry = import_fixture("heading-steps.md", catalogue=catalogue, dry_run=True)
    assert not Guide.objects.exists() and not GuideEvent.objects.exists()
    real = import_fixture("heading-steps.md", catalogue=catalogue)
    dry_again = import_fixture("heading-steps.md", catalogue=catalogue, dry_run=True)
    fields = ("status", "carrier", "country", "task", "steps", "problems", "notes", "stripped")
    assert [getattr(dry, f) for f in fields] == [getattr(real, f) for f in fields]
    assert (dry.guide, dry_again.status, dry_again.guide) == (None, "updated", real.guide)
    assert GuideEvent.objects.count() == 1


# --- The command ---------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_guides", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


def test_command_json_reports_every_file_and_exits_1_when_any_failed(catalogue):
    code, out, err = run(str(FIXTURES), "--json")
    reports = {Path(r["file"]).name: r for r in json.loads(out)}
    assert code == 1
    assert set(reports) == set(EXPECTED)
    keys = {"file", "status", "carrier", "country", "task", "steps", "problems", "notes"}
    assert keys | {"stripped", "error"} <= set(reports["list-steps.md"])
    assert reports["list-steps.md"]["stripped"] == [
        "handle 客服微信：simhelper2024",
        "link https://wa.me/15550001111",
    ]
    assert reports["empty.md"] | {"file": None} == {
        "file": None,
        "status": "failed",
        "carrier": None,
        "country": None,
        "task": None,
        "steps": 0,
        "problems": 0,
        "notes": 0,
        "stripped": [],
        "error": "The file is empty.",
        "warnings": [],
        "guide": None,
    }
    assert err.count("\n") == 4 and "empty.md: The file is empty." in err
    assert Guide.objects.count() == 10


def test_command_prints_a_table_and_summary_and_exits_0_when_all_imported(catalogue):
    code, out, err = run(str(FIXTURES / "heading-steps.md"), str(FIXTURES / "two-carriers.md"))
    assert (code, err) == (0, "")
    header, first, second, *rest = out.splitlines()
    assert header.split() == [
        "file",
        "status",
        "carrier",
        "country",
        "task",
        "steps",
        "problems",
        "notes",
        "stripped",
    ]
    assert first.split()[1:] == ["created", "t-mobile", "us", "keep-number", "4", "2", "4", "4"]
    assert second.split()[1:] == ["created", "-", "us", "cancel", "4", "0", "0", "0"]
    assert "Carrier left empty" in rest[0]
    assert rest[-1] == "2 files: 2 created, 0 updated, 0 failed."


def test_command_dry_run_writes_nothing(catalogue):
    code, out, _err = run(str(FIXTURES / "bold-titles.md"), "--dry-run")
    assert code == 0 and not Guide.objects.exists()
    assert (
        out.splitlines()[-1]
        == "1 files: 1 created, 0 updated, 0 failed. Dry run: nothing was written."
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing-folder"], "missing-folder: no such file or folder."),
        ([str(FIXTURES / "heading-steps.md"), "--language", "fr"], "invalid choice: 'fr'"),
        ([], "the following arguments are required: PATH"),
    ],
)
def test_bad_arguments_exit_2_from_the_command_line(argv, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "import_guides", *argv],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


# --- The seeds -----------------------------------------------------------------------------


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")
def test_seed_articles_become_clean_drafts_with_carrier_task_and_steps(catalogue):
    reports = guides_import(paths=collect_files([SEEDS]))
    assert reports
    for report in reports:
        assert report.status == "created", (report.file, report.error)
        assert report.carrier or report.country, report.file
        assert report.task, report.file
        assert report.steps >= 4, report.file
        assert any(item.startswith("link https://t.me/") for item in report.stripped)
        guide = Guide.objects.get(pk=report.guide)
        assert guide.status == Guide.Status.DRAFT and guide.country_id and guide.task_id
        assert_no_promotion(guide, ("esim1088", "t.me", "TG💪", "postimg", "获取更多实用资讯"))
