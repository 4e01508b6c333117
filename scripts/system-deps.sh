#!/usr/bin/env sh
# Install the system programs the course needs from Debian's packages: xelatex and pandoc for the PDF
# report, pdftotext for its test, bubblewrap (bwrap) for the grading sandbox (instructor/sandbox.py), and
# PostgreSQL for a gradebook many graders write at once (instructor/postgres.py; its server is not started), and
# Chromium with its chromedriver for the browser test of JupyterLab (tests/browser/).
# Does nothing when they are already there.
set -eu
need=""
command -v xelatex >/dev/null 2>&1 || need="$need texlive-xetex texlive-fonts-recommended texlive-plain-generic"
command -v pandoc >/dev/null 2>&1 || need="$need pandoc"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
command -v bwrap >/dev/null 2>&1 || need="$need bubblewrap"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
[ -z "$need" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install:$need (xelatex, pandoc and pdftotext for PDF reports, bwrap for the grading sandbox, postgresql for a shared gradebook, chromium and chromedriver for the browser test)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing:$need"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
