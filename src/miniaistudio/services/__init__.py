"""Use cases that combine the store and the core: accounts, sessions, media, execution."""
