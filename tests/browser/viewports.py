"""Screen sizes for the browser tests: a small phone and a laptop."""

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
