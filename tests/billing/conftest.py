"""Billing tests run a studio with billing = "credits" (tests of the "off" mode build their own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_settings
from miniaistudio.config import Settings

#: Cheap CPU nodes priced so runs cost something without any model.
PRICES = {"image.solid_color": 1, "image.crop": 5, "video.trim": 7, "video.frame_extract": 3}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", node_prices=PRICES)
