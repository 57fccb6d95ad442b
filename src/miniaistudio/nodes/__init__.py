"""Node types by family. Importing this package registers every module in it.

Node modules must import heavy libraries (torch, mediapipe, llama.cpp) inside ``invoke``
or runtime helpers, never at module level: the catalog loads at start-up.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
