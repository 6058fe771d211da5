#!/usr/bin/env bash
# Starts a private cupsd with one cups-pdf queue for the printing tests,
# separate from any system CUPS: its own configuration folder, a unix
# socket and a loopback port of its own.
#
#   scripts/cupsd.sh DIR [PORT]
#
# Prints the lines to export (CUPS_SERVER, MADOGUCHI_CUPS_PRINTER,
# MADOGUCHI_CUPS_OUT) and leaves cupsd's pid in DIR/cupsd.pid. The queue
# "madoguchi-pdf-PORT" writes every printed job as a PDF into DIR/out.
set -euo pipefail
dir=$1
port=${2:-6631}
mkdir -p "$dir"/{spool,cache,state,log,out,tmp,ppd}
chmod 0755 "$dir" "$dir/out"
chmod 1777 "$dir/tmp"

cat >"$dir/cupsd.conf" <<CONF
LogLevel warn
Listen $dir/cups.sock
Listen 127.0.0.1:$port
Browsing No
DefaultAuthType None
WebInterface No
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF

cat >"$dir/cups-files.conf" <<CONF
ServerRoot $dir
RequestRoot $dir/spool
CacheDir $dir/cache
StateDir $dir/state
TempDir $dir/tmp
AccessLog $dir/log/access_log
ErrorLog $dir/log/error_log
PageLog $dir/log/page_log
FileDevice No
CONF

# cups-pdf reads its settings from /etc/cups/cups-pdf-<queue>.conf (a fixed
# folder), so the queue's name is unique to this cupsd (its port) and the
# file is removed again by scripts/cupsd-stop.sh.
queue=madoguchi-pdf-$port
echo "/etc/cups/cups-pdf-$queue.conf" >"$dir/cups-pdf.path"
cat >"/etc/cups/cups-pdf-$queue.conf" <<CONF
Out $dir/out
AnonDirName $dir/out
Label 1
TitlePref 1
CONF

cupsd -t -c "$dir/cupsd.conf" -s "$dir/cups-files.conf" >"$dir/log/config-check" 2>&1 || { cat "$dir/log/config-check" >&2; exit 1; }
cupsd -f -c "$dir/cupsd.conf" -s "$dir/cups-files.conf" </dev/null >"$dir/log/cupsd.out" 2>&1 &
echo $! >"$dir/cupsd.pid"
for _ in $(seq 100); do [ -S "$dir/cups.sock" ] && break; sleep 0.1; done
[ -S "$dir/cups.sock" ] || { echo "cupsd did not start; see $dir/log/error_log" >&2; exit 1; }
lpadmin -h "$dir/cups.sock" -p "$queue" -E -v "cups-pdf:/$queue" -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null
# pdftocairo keeps most text extractable through cups-pdf's Ghostscript
# (the default renderer leaves none), so the tests can read it back.
lpadmin -h "$dir/cups.sock" -p "$queue" -o pdftops-renderer-default=pdftocairo
lpadmin -h "$dir/cups.sock" -d "$queue"
echo "CUPS_SERVER=$dir/cups.sock"
echo "MADOGUCHI_CUPS_PRINTER=$queue"
echo "MADOGUCHI_CUPS_OUT=$dir/out"
