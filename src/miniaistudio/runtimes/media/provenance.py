"""Writing provenance into the files the studio makes.

Images get PNG text chunks and an XMP packet; audio and video get container metadata.
AI-made files carry the IPTC digital source type ``trainedAlgorithmicMedia``; files from
classical processing carry ``algorithmicMedia`` or, when they edit a source,
``compositeWithTrainedAlgorithmicMedia`` only if an AI step was involved upstream.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
IPTC_ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
IPTC_COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/composite"
IPTC_COMPOSITE_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SOFTWARE = "Mini AI Studio"


def source_type(provenance: dict[str, Any]) -> str:
    if provenance.get("ai_generated"):
        # ``ai_parts`` names the model-made parts of an otherwise classical output (e.g. a neural voice
        # over algorithmic music): a composite, not a wholly AI-made file.
        return IPTC_COMPOSITE_AI if provenance.get("ai_parts") else IPTC_AI
    return IPTC_ALGORITHMIC if provenance.get("synthesized") else IPTC_COMPOSITE


def provenance_json(provenance: dict[str, Any]) -> str:
    return json.dumps({"ai_generated": False, **provenance, "software": SOFTWARE,
                       "digital_source_type": source_type(provenance)}, sort_keys=True, default=str)


def xmp_packet(provenance: dict[str, Any]) -> str:
    desc = escape(provenance_json(provenance))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<Iptc4xmpExt:DigitalSourceType>{source_type(provenance)}</Iptc4xmpExt:DigitalSourceType>"
        f"<xmp:CreatorTool>{SOFTWARE}</xmp:CreatorTool>"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{desc}</rdf:li></rdf:Alt></dc:description>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def png_info(provenance: dict[str, Any]) -> Any:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    info.add_text("parameters", provenance_json(provenance))
    info.add_text("DigitalSourceType", source_type(provenance))
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(provenance))
    return info


def ffmpeg_metadata_args(provenance: dict[str, Any]) -> list[str]:
    """``-metadata`` arguments recording provenance in an audio or video container."""
    return [
        "-metadata", f"comment={provenance_json(provenance)}",
        "-metadata", f"encoder_tool={SOFTWARE}",
        "-metadata", f"description=DigitalSourceType={source_type(provenance)}",
    ]
