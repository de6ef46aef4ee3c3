from django.utils.translation import get_language


def is_english(language: str | None = None) -> bool:
    return (language or get_language() or "zh-hans").lower().startswith("en")


class BilingualMixin:
    """Models with ``<field>_zh`` / ``<field>_en`` pairs pick the reader's language."""

    def tr(self, field: str, language: str | None = None) -> str:
        first, second = ("en", "zh") if is_english(language) else ("zh", "en")
        return getattr(self, f"{field}_{first}", "") or getattr(self, f"{field}_{second}", "")

    @property
    def display_name(self) -> str:
        return self.tr("name")


def split_lines(text: str) -> list[str]:
    """Split an editor's "one per line" field (commas also accepted) into clean items."""
    items = []
    for line in (text or "").replace("，", ",").splitlines():
        for part in line.split(","):
            part = part.strip()
            if part and part not in items:
                items.append(part)
    return items
