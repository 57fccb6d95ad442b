#!/usr/bin/env bash
# Installs the Debian tools the studio needs when they are missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

missing=()
command -v ffmpeg  >/dev/null 2>&1 || missing+=(ffmpeg)
# OpenCV (pulled in by mediapipe) links against libGL and glib.
[ -e /usr/lib/x86_64-linux-gnu/libGL.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libGL.so.1 ] || missing+=(libgl1)
[ -e /usr/lib/x86_64-linux-gnu/libglib-2.0.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libglib-2.0.so.0 ] || missing+=(libglib2.0-0)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
command -v espeak-ng  >/dev/null 2>&1 || missing+=(espeak-ng)
command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing+=(fluid-soundfont-gm)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # The PostgreSQL pass of `make test` starts throwaway servers (tests/servers.py).
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; } || missing+=(postgresql)
fi
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
  echo ">> installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "!! missing system packages: ${missing[*]}"
  echo "!! install them with: sudo apt-get update && sudo $cmd"
  exit 1
fi
