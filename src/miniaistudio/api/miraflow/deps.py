"""Who may call the Miraflow routes: the key (``x-api-key``, or any header the studio reads) must carry
the route's scope; a login or the personal key carries every scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ...core.policy import ApiScope, Principal
from ..common.deps import RequireScope

Reader = Annotated[Principal, Depends(RequireScope(ApiScope.READ))]
ImageMaker = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_IMAGE))]
VideoMaker = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_VIDEO))]
