"""The /api/files door: media bytes behind signed links, for every dialect.

Signed download URLs belong to no dialect (AI Visual Studio, Studii, Magnific and Miraflow all
hand them out as ``output_url``s), so they live in a door of their own rather than under one
dialect's prefix: the link outlives any dialect's versioning, no dialect's error envelope or auth
applies to it, and with the S3 media store it redirects to a presigned GET at the bucket. Its errors
use the studio's own envelope ``{code, message, details?}``.
Signed uploads (``PUT /api/files/upload?token=``) live here for the same reasons.
"""

from fastapi import APIRouter

from ..common.doors import Door
from ..v2.errors import v2_envelope
from . import downloads, uploads

PREFIX = "/api/files"

router = APIRouter(prefix=PREFIX)
router.include_router(downloads.router)
router.include_router(uploads.router)

door = Door(name="files", prefix=PREFIX, router=router, envelope=v2_envelope, title="Mini AI Studio signed files")

#: The signed upload PUT: public to the perimeter (its token is the credential) and streamed.
UPLOAD_PATH = PREFIX + uploads.PATH
