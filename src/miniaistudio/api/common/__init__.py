"""The HTTP perimeter: what every request passes before a router sees it (pure ASGI middleware)."""
