#!/usr/bin/env python3
"""Checks a page as headless Chromium left it: usage check_page.py DOM_DUMP CHROMIUM_LOG NAME.

Fails (exit 1) on any console message in the log, when the page's script did not run to its
end (no data-rendered on <body>), when there is no plot or an empty plot (an svg.plot without
a .mark inside), or when the page references the network (src/href to http(s) or //).
"""
import re, sys
from html.parser import HTMLParser

dom, log, name = sys.argv[1:4]
errors = []
for line in open(log, errors="replace"):
    if ":CONSOLE" in line:
        errors.append("console: " + line.strip())
text = open(dom, errors="replace").read()

class Plots(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []      # open svg.plot elements: [label, marks]
        self.plots = []
        self.rendered = None
        self.external = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "body":
            self.rendered = a.get("data-rendered")
        for key in ("src", "href"):
            if re.match(r"^(https?:)?//", a.get(key) or ""):
                self.external.append(a[key])
        if tag == "svg" and "plot" in classes:
            self.stack.append([a.get("aria-label", "?"), 0])
        elif self.stack and "mark" in classes:
            self.stack[-1][1] += 1
    def handle_endtag(self, tag):
        if tag == "svg" and self.stack:
            self.plots.append(tuple(self.stack.pop()))

p = Plots()
p.feed(text)
if p.rendered is None:
    errors.append("the page's script did not run to its end (no data-rendered on <body>)")
elif int(p.rendered) != len(p.plots):
    errors.append(f"the script saw {p.rendered} plots, the DOM has {len(p.plots)}")
if not p.plots:
    errors.append("no plot on the page")
for label, marks in p.plots:
    if marks == 0:
        errors.append(f"empty plot: {label}")
if p.external:
    errors.append(f"network references: {p.external[:3]}")
if errors:
    print(f"FAIL {name}:", *errors, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"ok   {name}: {len(p.plots)} plots, " + ", ".join(f"{l} ({m} marks)" for l, m in p.plots))
