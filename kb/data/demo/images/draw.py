"""Draw the demo diagrams (PNG) with Pillow. Run by hand after changing them:

    .venv/bin/python kb/data/demo/images/draw.py

They are our own simplified drawings, labelled as diagrams, with made-up numbers; never copies
of a carrier's or a phone maker's screens. Needs a CJK font (fonts-noto-cjk) to draw the labels.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
INK, MUTED, LINE, SOFT, ACCENT = (
    (33, 37, 41),
    (95, 99, 104),
    (200, 205, 210),
    (243, 245, 247),
    (13, 110, 253),
)


def font(size, bold=False):
    return ImageFont.truetype(BOLD if bold else FONT, size)


def phone(draw, x, y, w=360, h=640):
    draw.rounded_rectangle((x, y, x + w, y + h), radius=48, outline=INK, width=6, fill="white")
    draw.rounded_rectangle((x + w // 2 - 50, y + 18, x + w // 2 + 50, y + 34), radius=8, fill=INK)
    return (x + 24, y + 60, x + w - 24, y + h - 40)


def label(draw, text, xy, size=30, fill=INK, bold=False):
    draw.text(xy, text, font=font(size, bold), fill=fill)


def banner(draw, width):
    draw.rectangle((0, 0, width, 64), fill=SOFT)
    label(draw, "示意图 · Diagram (not a real screen)", (24, 12), 30, MUTED, bold=True)


def eid_imei(path):
    width, height = 1440, 900
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    banner(draw, width)
    left, top, right, _bottom = phone(draw, 80, 150)
    label(draw, "设置 › 通用 › 关于本机", (left, top + 10), 26, MUTED)
    rows = [
        ("EID", "8904 9000 0000 …"),
        ("IMEI", "35 000000 000000 0"),
        ("IMEI2", "35 000000 000001 0"),
    ]
    for index, (name, value) in enumerate(rows):
        y = top + 80 + index * 110
        draw.rounded_rectangle(
            (left, y, right, y + 90), radius=14, fill=SOFT, outline=LINE, width=2
        )
        label(draw, name, (left + 18, y + 8), 28, INK, bold=True)
        label(draw, value, (left + 18, y + 46), 24, MUTED)
    draw.rounded_rectangle(
        (left - 8, top + 72, right + 8, top + 178), radius=18, outline=ACCENT, width=5
    )
    draw.line((right + 10, top + 125, 600, 300), fill=ACCENT, width=5)
    label(draw, "EID：32 位数字，eSIM 芯片的编号", (610, 250), 36, INK, bold=True)
    label(draw, "EID: the 32-digit number of the eSIM chip", (610, 305), 30, MUTED)
    label(draw, "IMEI：15 位数字，手机本身的编号", (610, 420), 36, INK, bold=True)
    label(draw, "IMEI: the 15-digit number of the phone", (610, 475), 30, MUTED)
    label(draw, "也可以拨号 *#06# 查看", (610, 590), 36, INK, bold=True)
    label(draw, "Or dial *#06# to show both", (610, 645), 30, MUTED)
    label(draw, "数字为虚构示例 · Example numbers, made up", (610, 780), 26, MUTED)
    image.save(path, "PNG", optimize=True)


def esim_install(path):
    width, height = 1440, 700
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    banner(draw, width)
    steps = [
        ("1", "连上 Wi-Fi", "Connect to Wi-Fi"),
        ("2", "设置 › 蜂窝网络", "Settings › Cellular / Mobile"),
        ("3", "添加 eSIM", "Add eSIM"),
        ("4", "扫码或输入激活码", "Scan the QR code or enter the code"),
    ]
    box_w, gap, y = 300, 40, 200
    for index, (number, zh, en) in enumerate(steps):
        x = 60 + index * (box_w + gap)
        draw.rounded_rectangle(
            (x, y, x + box_w, y + 300), radius=24, fill=SOFT, outline=LINE, width=3
        )
        draw.ellipse((x + 20, y + 20, x + 84, y + 84), fill=ACCENT)
        label(draw, number, (x + 40, y + 24), 40, "white", bold=True)
        label(draw, zh, (x + 20, y + 120), 34, INK, bold=True)
        draw.multiline_text(
            (x + 20, y + 180),
            en.replace(" › ", "\n› ").replace(" or ", "\nor "),
            font=font(24),
            fill=MUTED,
            spacing=6,
        )
        if index < len(steps) - 1:
            ax = x + box_w + 6
            draw.line((ax, y + 150, ax + gap - 12, y + 150), fill=ACCENT, width=5)
            draw.polygon(
                [(ax + gap - 12, y + 140), (ax + gap - 2, y + 150), (ax + gap - 12, y + 160)],
                fill=ACCENT,
            )
    label(
        draw,
        "菜单名称因手机型号和系统版本而异 · Menu names differ by phone and version",
        (60, 580),
        28,
        MUTED,
    )
    image.save(path, "PNG", optimize=True)


if __name__ == "__main__":
    eid_imei(HERE / "phone-eid-imei.png")
    esim_install(HERE / "esim-install-steps.png")
