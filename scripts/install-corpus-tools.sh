#!/usr/bin/env bash
# Debian packages used only to BUILD the offline starter corpus (python -m gpt_sovits corpus build).
# Users of the studio never need these. Run as root (or with sudo) on Debian/Ubuntu.
#   festival + festvox-*   : English voices (kal, kdl, us-slt-hts)
#   espeak-ng              : English and Mandarin (cmn) formant voices
#   gcin-voice             : recorded Mandarin syllables (zhuyin-named wavs)
#   fortunes, fortunes-zh  : offline English and Chinese sentences
#   wordnet-base           : everyday English sentences (corpus build --texts everyday)
#   manpages-zh, debian-reference-zh-cn, debian-faq-zh-cn, maint-guide-zh-cn
#                          : modern Chinese sentences (corpus build --texts everyday)
# asterisk-core-sounds-* and pocketsphinx-testdata are deliberately NOT installed here: they are
# reserved for evaluation (see gpt_sovits/corpus/sources.py, EVALUATION_ONLY).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends \
  espeak-ng festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts \
  gcin-voice fortune-mod fortunes fortunes-zh wordnet-base \
  manpages-zh debian-reference-zh-cn debian-faq-zh-cn maint-guide-zh-cn
