"""HTTP doors into the core: /api/v2 now, compatibility dialects later; all thin."""
