#!/bin/bash
# The HTML timeline of a planted-bug failure, opened in headless Chromium: the lanes, a lease
# bar, a fault region and the violation marker are rendered, no JavaScript error occurred,
# the page opened focused on the violation, and it loads nothing from the network. Saves a
# screenshot (timeline.png) under the test outputs. A passing run's timeline renders too.
set -uo pipefail
sim=tools/orbit_sim
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
outputs="${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}"
fail() { echo "FAIL: $*"; exit 1; }
chromium=$(command -v chromium) || fail "chromium not found: tools/setup installs Debian's chromium, which this test needs"
command -v python3 >/dev/null || fail "python3 not found (tools/setup installs it)"
export HOME="$tmp/home"
mkdir -p "$HOME"

# Headless Chromium with a private profile and a time limit; prints the DOM after the load.
browse() {
  local html=$1; shift
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$tmp/chromium-profile" --window-size=1600,1000 --virtual-time-budget=10000 "$@" "file://$html" 2>"$tmp/chromium.log"
}

# A no_fencing failure whose report names two holders (single_activation).
report=""
for seed in $(seq 1 30); do
  bugs/orbit_sim_bug_no_fencing run --scenario stale-writer --seed "$seed" --report "$tmp/runs" >/dev/null 2>&1
  r="$tmp/runs/stale-writer-seed$seed.report.json"
  if grep -q '"checker": "single_activation"' "$r" 2>/dev/null && grep -q '"holders": \[$' "$r"; then report=$r; break; fi
done
[[ -n "$report" ]] || fail "no_fencing: no single_activation violation in seeds 1..30"

html="$tmp/run.html"
"$sim" timeline "$report" -o "$html" || fail "timeline exited $?"
[[ -s "$html" ]] || fail "no HTML written"
# Self-contained: no external scripts, styles, images or fetches (the SVG namespace is a name, not a load).
if grep -oE '(src|href)=["'"'"']?(https?:)?//[^"'"'"' >]*|<link |@import|fetch\(|XMLHttpRequest' "$html" | grep -v 'www.w3.org/2000/svg'; then
  fail "the timeline references the network"
fi

dom=$(browse "$html" --dump-dom) || fail "chromium --dump-dom failed (exit $?): $(tail -5 "$tmp/chromium.log")"
status=$(grep -oE '<div id="status"[^>]*>[^<]*</div>' <<<"$dom") || fail "no status element in the rendered DOM"
echo "rendered: $status"
grep -q '>render-ok</div>' <<<"$status" || fail "the page did not finish rendering: $status; errors: $(grep -oE '<pre id="errors">[^<]*' <<<"$dom")"
grep -q '<pre id="errors"></pre>' <<<"$dom" || fail "JavaScript error: $(grep -oE '<pre id="errors">[^<]*' <<<"$dom")"
printf '%s' "$dom" >"$tmp/dom.html"
python3 - "$report" "$status" "$tmp/dom.html" <<'EOF' || fail "the rendered timeline is missing an element"
import json, re, sys
report = json.load(open(sys.argv[1]))
status = sys.argv[2]
dom = open(sys.argv[3], encoding="utf-8").read()
attr = lambda name: int(re.search(name + r'="(-?\d+)', status).group(1))
members = report["config"]["members"]
assert attr("data-lanes") == members + 1, status
assert len(re.findall(r'<g class="lane" data-node="\d+"', dom)) == members + 1, "lane groups"
assert attr("data-lease-bars") >= 2 and re.search(r'<rect class="lease-bar', dom), "lease bars"
assert attr("data-fault-regions") >= 1 and re.search(r'<rect class="fault-region fault-(pause|crash|partition|clock|clog)', dom), "fault regions"
primary = report["primary_violation"]
v = report["violations"][primary]
assert v["checker"] == "single_activation", v["checker"]
assert re.search(r'<path class="violation-marker" id="violation-%d"' % primary, dom), "violation marker"
for e in v["events"]:
    assert re.search(r'<circle class="violation-event" id="ev-%d"' % e["index"], dom), "ring on event %d" % e["index"]
# It opened focused on the violation: its events lie inside the initial view.
t0, t1 = map(int, re.search(r'data-view="(-?\d+)\.\.(-?\d+)"', status).groups())
assert all(t0 <= e["t"] <= t1 for e in v["events"]), (t0, t1, [e["t"] for e in v["events"]])
assert t1 - t0 < report["sim_time_ns"], "not zoomed in"
# The side panel names the checker, the actor and both holders.
for h in v["holders"]:
    assert "%s (node %d, lease version %d)" % (h["holder"], h["node"], h["lease_version"]) in dom, h
assert "single_activation · " + v["actor"] in dom
print("lanes, lease bars, fault regions, violation marker and events rendered; view", t0, "..", t1)
EOF

rm -f "$outputs/timeline.png"
browse "$html" --screenshot="$outputs/timeline.png" >/dev/null || fail "chromium --screenshot failed: $(tail -5 "$tmp/chromium.log")"
[[ $(stat -c %s "$outputs/timeline.png" 2>/dev/null || echo 0) -gt 20000 ]] || fail "no screenshot (or an empty one) at $outputs/timeline.png"

# Zoom and pan: "whole run", a wheel step in, a drag to the left; each changes the view the
# right way (the toolbar shows it) and raises no error.
cat >"$tmp/interact.js" <<'EOF'
<script>
(function () {
  var range = function () { var m = /view (-?[0-9.]+) s \.\. (-?[0-9.]+) s/.exec(document.getElementById("range").textContent); return [+m[1], +m[2]]; };
  var chart = document.getElementById("chart"), out = [];
  document.getElementById("fit").click(); out.push(range());
  chart.dispatchEvent(new WheelEvent("wheel", { deltaY: -100, clientX: 600, clientY: 200, bubbles: true, cancelable: true })); out.push(range());
  chart.dispatchEvent(new MouseEvent("mousedown", { clientX: 700, clientY: 200, bubbles: true }));
  window.dispatchEvent(new MouseEvent("mousemove", { clientX: 400, clientY: 200 }));
  window.dispatchEvent(new MouseEvent("mouseup", {})); out.push(range());
  document.getElementById("status").setAttribute("data-interact", JSON.stringify(out));
})();
</script>
EOF
sed -e "/<\/body>/{r $tmp/interact.js" -e "}" "$html" >"$tmp/interact.html"
dom=$(browse "$tmp/interact.html" --dump-dom) || fail "chromium failed on the interaction page"
grep -q '<pre id="errors"></pre>' <<<"$dom" || fail "zoom/pan raised: $(grep -oE '<pre id="errors">[^<]*' <<<"$dom")"
interact=$(grep -oE 'data-interact="[^"]*"' <<<"$dom" | sed 's/&quot;/"/g; s/^data-interact="//; s/"$//') || fail "the interaction script did not run"
python3 - "$interact" <<'EOF' || fail "zoom/pan did not move the view as expected: $interact"
import json, sys
(f0, f1), (z0, z1), (p0, p1) = json.loads(sys.argv[1])
assert f0 <= 0 and f1 > 1, ("whole run", f0, f1)
assert z1 - z0 < f1 - f0 and f0 <= z0 and z1 <= f1, ("wheel zoomed in around the pointer", (z0, z1))
assert abs((p1 - p0) - (z1 - z0)) < 1e-6 * (z1 - z0) + 1e-6 and p0 > z0, ("drag left pans right, same span", (p0, p1))
print("zoom/pan: whole run %.3f..%.3f s, wheel in %.3f..%.3f s, dragged %.3f..%.3f s" % (f0, f1, z0, z1, p0, p1))
EOF

# The check above would see a JavaScript error: a page broken on purpose reports it.
sed 's|// --- first render|D.leases = null; // --- first render|' "$html" >"$tmp/broken.html"
dom=$(browse "$tmp/broken.html" --dump-dom) || fail "chromium failed on the broken page"
grep -q 'data-state="error"' <<<"$dom" && grep -qE '<pre id="errors">JavaScript error: [^<]+' <<<"$dom" \
  || fail "a JavaScript error went unnoticed: $(grep -oE '<div id="status"[^>]*>[^<]*</div>' <<<"$dom")"

# A passing run: no violations, the whole run in view, still no error.
"$sim" run --scenario counter --seed 3 --duration 5s --report "$tmp/pass" >/dev/null || fail "passing run failed"
"$sim" timeline "$tmp/pass/counter-seed3.report.json" -o "$tmp/pass.html" || fail "timeline of a passing run exited $?"
dom=$(browse "$tmp/pass.html" --dump-dom) || fail "chromium failed on the passing run"
grep -qE '<div id="status" data-state="ok"[^>]*data-violation-markers="0"[^>]*>render-ok</div>' <<<"$dom" \
  || fail "passing run: $(grep -oE '<div id="status"[^>]*>[^<]*</div>|<pre id="errors">[^<]*' <<<"$dom")"
echo PASS
