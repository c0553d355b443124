#!/usr/bin/env bash
# The README's picture of the demo, made from the real thing so it stays
# current: runs `runsheet demo` in a tmux server of its own at 100x30,
# drives it as an operator would (ticks the checklist, runs the scratch
# setup, confirms the announcement, runs the backup) and writes
#
#   docs/demo-screen.txt   the screen as text (tmux capture-pane)
#   docs/demo-screen.svg   the same text as an image (no colours)
#   docs/demo.cast         the session as an asciinema recording
#                          (`runsheet export --asciicast` of its journal)
#
# Usage: assets/capture-demo.sh [path/to/runsheet]
# Without an argument it builds runsheet (cargo build, $CARGO_TARGET_DIR
# honoured). Needs tmux. Touches nothing outside a scratch folder and docs/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cols=100
rows=30

if [[ $# -ge 1 ]]; then
    bin=$(realpath "$1")
else
    (cd "$repo" && cargo build --quiet)
    bin="${CARGO_TARGET_DIR:-$repo/target}/debug/runsheet"
fi
[[ -x $bin ]] || { echo "capture-demo: no runsheet at $bin (build it, or pass its path)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "capture-demo: tmux is needed" >&2; exit 1; }

scratch=$(mktemp -d)
socket="runsheet-capture-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

t() { tmux -L "$socket" "$@"; }
screen() { t capture-pane -p -t capture; }
# Waits until the screen shows $1 (a fixed string), at most 30 s.
wait_for() {
    for _ in $(seq 300); do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
    done
    echo "capture-demo: the screen never showed \"$1\":" >&2
    screen >&2
    exit 1
}
press() {
    for k in "$@"; do
        t send-keys -t capture "$k"
        sleep 0.4
    done
}

# A clean, fixed environment: no user config, journals in the scratch folder.
t new-session -d -s capture -x "$cols" -y "$rows" \
    "cd '$scratch' && env -i HOME='$scratch' USER=operator PATH='$PATH' TERM=xterm-256color \
     LANG=C.UTF-8 RUNSHEET_DATA_DIR='$scratch/data' TMPDIR='$scratch' '$bin' demo; sleep 600"
wait_for "Pre-flight checklist"
press Space Space Space
# A finished step stays in view: Enter goes to the next one, Enter runs it.
press Enter Enter
wait_for "✔ done"
press Enter
wait_for "Announce the maintenance window"
press d
press Enter
wait_for "Archives the releases folder"
press Enter
wait_for "50/50 files"
# Let the step settle and the screen show its result.
sleep 1.5

mkdir -p "$repo/docs"
screen | sed -e 's/[[:space:]]*$//' >"$repo/docs/demo-screen.txt"

# The text as an SVG: one <text> per row in a monospace font.
{
    cw=8.4
    lh=17
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">\n' \
        "$(awk -v c="$cols" -v w="$cw" 'BEGIN{print c*w+16}')" "$((rows * lh + 16))"
    printf '<rect width="100%%" height="100%%" fill="#1e1e1e"/>\n'
    y=20
    while IFS= read -r line || [[ -n $line ]]; do
        esc=${line//&/&amp;}
        esc=${esc//</&lt;}
        esc=${esc//>/&gt;}
        printf '<text x="8" y="%s" fill="#d4d4d4" xml:space="preserve" textLength="%s" lengthAdjust="spacingAndGlyphs">%s</text>\n' \
            "$y" "$(awk -v n="${#line}" -v w="$cw" 'BEGIN{print n*w}')" "$esc"
        y=$((y + lh))
    done <"$repo/docs/demo-screen.txt"
    printf '</svg>\n'
} >"$repo/docs/demo-screen.svg"

press q
sleep 0.5
press y
sleep 1
journal=$(find "$scratch/data" -name '*.jsonl' | head -n 1)
if [[ -n $journal ]]; then
    "$bin" export "$journal" --asciicast -o "$repo/docs/demo.cast"
fi
echo "wrote docs/demo-screen.txt, docs/demo-screen.svg${journal:+, docs/demo.cast}"
