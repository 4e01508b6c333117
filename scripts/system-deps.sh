#!/usr/bin/env sh
# Install the system programs the PDF report needs (xelatex, pandoc) and pdftotext for its test,
# from Debian's packages. Does nothing when they are already there.
set -eu
need=""
command -v xelatex >/dev/null 2>&1 || need="$need texlive-xetex texlive-fonts-recommended texlive-plain-generic"
command -v pandoc >/dev/null 2>&1 || need="$need pandoc"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
[ -z "$need" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install:$need (xelatex, pandoc and pdftotext are needed for PDF reports)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing:$need"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
