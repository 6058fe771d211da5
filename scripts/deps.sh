#!/usr/bin/env bash
# Installs the Debian packages madoguchi needs, if any is missing.
set -euo pipefail

# scripts/deps.sh --windows installs, in addition, what the Windows
# cross-build and the Wine-run tests need (make windows, make windows-check).
windows=0
if [ "${1:-}" = --windows ]; then windows=1; fi

packages=(
  gcc pkg-config                      # cgo
  libgl1-mesa-dev xorg-dev            # Fyne (OpenGL, X11)
  libpcsclite-dev                     # github.com/ebfe/scard
  pcscd vsmartcard-vpcd opensc opensc-pkcs11  # card tests through the real PC/SC stack and OpenSC interop
  xvfb xdotool x11-utils imagemagick  # screen tests: headless X, keyboard, screenshots
  tesseract-ocr tesseract-ocr-jpn     # screen test: reads the Japanese text back
  poppler-utils                       # pdftotext / pdftoppm for the printing tests
  libnss3-tools                       # certutil: the trusted root for pdfsig in the PDF signature test
  fonts-ipaexfont-gothic              # the Japanese font (theme and PDFs)
  fonts-ipamj-mincho                  # IPAmj明朝: every MJ character (IPA Font License), fallback on screen and paper
  yubico-piv-tool                     # middleware interop test against the emulated card
  libengine-pkcs11-openssl            # openssl signing with the card through OpenSC's PKCS#11 module
  cups cups-client cups-bsd printer-driver-cups-pdf  # real printing tests: a private cupsd with a cups-pdf queue
  openssl ca-certificates
  postgresql                          # the office's shared store: a private PostgreSQL 15 for the tests (scripts/pgtest.sh)
  desktop-file-utils                  # packaging test: desktop-file-validate on the installed entry
)
if ((windows)); then
  packages+=(
    gcc-mingw-w64-x86-64                # cgo for GOOS=windows (Fyne's go-gl)
    wine wine64                         # runs the Windows test binaries (scripts/windows-check.sh)
    zip                                 # make windows-zip
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

if ! command -v go >/dev/null; then
  echo "deps: Go 1.26 is needed (https://go.dev/dl/); it is not a Debian 12 package" >&2
  exit 1
fi
