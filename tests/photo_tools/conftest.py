"""Photo tools: u2netp placed once in the shared test models folder (the product cut-out)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED_MODELS_DIR
from miniaistudio.runtimes.models.vision_assets import place_u2netp


@pytest.fixture(scope="session")
def u2netp_placed() -> Path:
    """The set-up step's own code places u2netp.onnx in the shared test models folder (once)."""
    return place_u2netp(SHARED_MODELS_DIR)
