"""The mockup section's job operations are declared once and cannot grow at import time."""

from __future__ import annotations

import miniaistudio.api.miraflow  # noqa: F401  (imports every route module, as the app does)
from miniaistudio.api.miraflow import operations


def test_mockup_operations_are_one_frozen_declaration() -> None:
    assert isinstance(operations.MOCKUP_OPERATIONS, frozenset)
    assert {"asset.generate", "asset.edit", "mockup.generate", "mockup.video"} == operations.MOCKUP_OPERATIONS
