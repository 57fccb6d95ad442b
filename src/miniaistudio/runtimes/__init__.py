"""Backends that do the heavy lifting for nodes, by kind: ``media/`` (ffmpeg, probing, provenance,
fonts, safe fetching), ``models/`` (the warm-model cache and every model runtime), ``creative/``
(classical engines); shared plumbing here: child processes, system tools, optional packages."""
