"""Each content rule, with examples in the style of the scraped seeds, and texts it must let by."""

import time
from pathlib import Path

import pytest

from kb.models import Correction, Guide
from kb.services import corrections, spam
from tests import factories

SEEDS = Path("/work/shared/seeds")

# The promotion patterns of the seeds, as they appear there.
SEED_TITLE = "# Tmobile卡eSIM卡是否可以暂停服务？[[TG💪+ @esim1088](https://t.me/s/esim1088)]"
SEED_FOLLOW = "记得关注[TG💪+ @esim1088](https://t.me/s/esim1088)，获取更多实用资讯！"
SEED_FOOTER = (
    "[[TG💪+ @esim1088](https://t.me/s/esim1088) "
    "![Image](https://i.postimg.cc/4NQfJmqS/Snipaste-2025-05-13-00-14-12.png)]"
)

GENUINE = [
    "打开 T-Mobile App，点击“账户”→“管理线路”，选择“暂停服务”。",
    "访问 www.t-mobile.com 登录账户，拨打客服 1-800-937-8997。",
    "拨打 1-800-937-8997 后按 0 转人工，客服会要求提供账户 PIN。",
    "Send an email to support@t-mobile.com with your account number.",
    "用微信扫码支付话费，金额 100 元，付款后短信会通知。",
    "在 QQ 邮箱里找到 T-Mobile 发来的确认邮件，点链接完成验证。",
    "The line number 1234567 stays yours for 90 days after you pause.",
    "Line 2: call 1-800-937-8997 from abroad (free over Wi-Fi calling).",
    "步骤已过期：现在需要在 App 里先验证身份。\n\n---\n\n然后再选暂停。",
    "| 套餐 | 月费 |\n|---|---|\n| 预付费 | $10 |\n| 月结 | $15 |",
    "Tap Settings. Then tap Cellular → eSIM and choose the line.",
]


def rules(found):
    return {reason["rule"] for reason in found}


@pytest.mark.parametrize("text", [SEED_TITLE, SEED_FOLLOW, SEED_FOOTER])
def test_seed_promotions_are_caught(text):
    assert {"messenger_link", "messenger_handle"} <= rules(spam.check(proposed_text=text))


def test_every_seed_file_would_be_flagged():
    files = sorted(SEEDS.glob("*.txt"))
    if not files:
        pytest.skip("no seed files here")
    for path in files:
        assert spam.check(proposed_text=path.read_text(encoding="utf-8")[:5000]), path.name


@pytest.mark.parametrize(
    "text",
    [
        "https://t.me/s/esim1088",
        "t.me/esim1088",
        "t . me/esim1088",
        "ｔ．ｍｅ/esim1088",
        "t[.]me/esim1088",
        "t\u200b.me/esim1088",
        "https://wa.me/15551234567",
        "https://chat.whatsapp.com/AbCdEf",
        "https://u.wechat.com/abc",
        "https://qm.qq.com/q/abc",
        "telegram.me/esim_shop",
    ],
)
def test_messenger_links_are_caught(text):
    assert "messenger_link" in rules(spam.check(proposed_text=text))


@pytest.mark.parametrize(
    "text",
    [
        "TG💪+ @esim1088",
        "TG: @esim1088",
        "Telegram @esim_shop",
        "电报 @esim1088",
        "飞机号：esim1088",
        "微信：esim_helper",
        "微信 esim1088",
        "VX: esim88888",
        "QQ 123456789",
        "WhatsApp +1 555 123 4567",
        "关注 @esim1088",
        "联系 @esim1088 办理",
        "ＴＧ　＠ｅｓｉｍ１０８８",
    ],
)
def test_messenger_handles_are_caught(text):
    assert "messenger_handle" in rules(spam.check(proposed_text=text))


@pytest.mark.parametrize(
    "text",
    [
        "加我微信 esim1088 代办注销",
        "代办注销，价格美丽，微信联系",
        "低价代充话费 www.cheap-topup.example",
        "Contact me on WhatsApp for a cheap eSIM",
        "添加好友 QQ 123456789 免费领卡",
    ],
)
def test_contact_offers_are_caught(text):
    assert "contact_offer" in rules(spam.check(proposed_text=text))


def test_a_promotion_word_without_a_way_to_reach_anyone_is_let_by():
    assert spam.check(proposed_text="营业厅可以代办过户，需要本人到场。") == []


def test_link_farms_and_promo_images_are_caught():
    farm = "看这里 a-shop.com b-shop.net c-shop.org 都能买"
    assert "link_farm" in rules(spam.check(proposed_text=farm))
    image = "![Image](https://i.postimg.cc/4NQfJmqS/Snipaste.png)"
    assert "promo_image" in rules(spam.check(proposed_text=image))
    assert "promo_image" in rules(spam.check(proposed_text="详情 bit.ly/3abcDEF"))


def test_links_already_in_the_step_do_not_count():
    step = "访问 www.t-mobile.com、my.t-mobile.com 或 t-mobile.com/support 办理。"
    assert spam.check(proposed_text=step + " 现在改为 App 办理。", current_text=step) == []


def test_the_steps_own_messenger_link_is_not_the_readers_doing():
    step = "意大利 Vodafone 的 WhatsApp 客服：https://wa.me/393491234567"
    assert spam.check(proposed_text=step + "（只在工作日回复）", current_text=step) == []


@pytest.mark.parametrize(
    "text",
    [
        "免费送卡免费送卡免费送卡免费送卡",
        "买" * 25,
        "esim esim esim esim esim esim",
        "加群领福利\n加群领福利\n加群领福利\n",
    ],
)
def test_repeated_text_is_caught(text):
    assert "repeated_text" in rules(spam.check(proposed_text=text))


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_corrections_are_let_by(text):
    assert spam.check(proposed_text=text) == []


def test_a_carriers_whatsapp_number_is_fine_in_a_contact_correction():
    text = "Vodafone 客服换了号码，WhatsApp: +39 349 123 4567"
    assert spam.check(proposed_text=text, kind="contact") == []
    assert "messenger_handle" in rules(spam.check(proposed_text=text, kind="wrong"))


def test_messenger_evidence_link_is_caught():
    found = spam.check(proposed_text="更新后的步骤", evidence_url="https://t.me/s/esim1088")
    assert "messenger_link" in rules(found)


def test_honeypot_and_token_reasons():
    token = spam.form_token(7, now=time.time() - 60)
    assert spam.form_reasons(token=token, honeypot="", guide_id=7) == []
    assert rules(spam.form_reasons(token=token, honeypot="x", guide_id=7)) == {"honeypot"}
    assert rules(spam.form_reasons(token=token, honeypot="", guide_id=8)) == {"bad_token"}
    fresh = spam.form_token(7)
    assert rules(spam.form_reasons(token=fresh, honeypot="", guide_id=7)) == {"too_fast"}


@pytest.mark.django_db
def test_the_same_text_sent_a_third_time_is_a_flood(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    step = guide.steps.first()
    results = [
        corrections.correction_submit(
            guide=guide,
            step=step,
            kind="wrong",
            proposed_text="这个步骤  已经\n改了",
            language="zh-hans",
            client_hash=f"{n:064d}",
        )
        for n in range(3)
    ]
    assert [c.status for c in results] == ["received", "received", "spam"]
    assert rules(results[2].spam_reasons) == {"repeated_submission"}
    assert Correction.objects.count() == 3


def test_a_fresh_form_is_never_too_fast_when_there_is_no_minimum(settings):
    settings.KB_CORRECTION_MIN_SECONDS = 0
    for offset in (0.0, 0.3, 0.5, 0.7, 0.999):
        now = 1_800_000_000 + offset
        token = spam.form_token(7, now=now)
        assert spam.form_reasons(token=token, honeypot="", guide_id=7, now=now) == []
