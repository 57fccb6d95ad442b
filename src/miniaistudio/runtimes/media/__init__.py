"""Media plumbing: ffmpeg, probing, provenance writing, fonts, safe URL fetching.
"""
