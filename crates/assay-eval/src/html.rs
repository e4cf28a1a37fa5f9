//! The report as one self-contained HTML page: inline CSS, inline SVG plots, a few lines of
//! inline script (sortable tables, a filter over the disagreements), no network at view time.
//! The page also embeds the report's JSON (`<script type="application/json" id="report">`).
//!
//! Every plot is an `<svg class="plot">` whose data marks (bars, points, cells) carry the class
//! `mark`, so a test can check that no plot is empty.

use std::fmt::Write as _;

use serde_json::Value;

use crate::report::*;

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{:.1}%", 100.0 * x),
        _ => "—".into(),
    }
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

const CSS: &str = r#"
:root { --fg:#1d2433; --muted:#5b6475; --line:#dde2ea; --bg:#f6f7f9; --card:#fff;
  --a:#2f6fdf; --b:#e0663a; --good:#1f9d55; --bad:#d64545; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--fg); background:var(--bg); }
main { max-width:1100px; margin:0 auto; padding:24px 20px 64px; }
h1 { font-size:26px; margin:0 0 4px; } h2 { font-size:19px; margin:32px 0 10px; }
.sub { color:var(--muted); margin:0 0 16px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(170px,1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.card .v { font-size:28px; font-weight:650; letter-spacing:-.5px; }
.card.main { border-color:var(--a); box-shadow:0 0 0 1px var(--a) inset; }
.card .n, .card .d { color:var(--muted); font-size:12.5px; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(440px,1fr)); gap:14px; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { padding:6px 10px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { font-weight:600; font-size:13px; color:var(--muted); cursor:pointer; user-select:none; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.bar { display:inline-block; height:8px; background:var(--a); border-radius:4px; margin-left:6px; vertical-align:middle; }
.warn { background:#fff6e5; border:1px solid #f0c36d; border-radius:10px; padding:10px 14px; margin:14px 0; }
details { background:var(--card); border:1px solid var(--line); border-radius:10px; margin:8px 0; padding:8px 12px; }
summary { cursor:pointer; } summary .tag { color:var(--muted); font-size:13px; }
pre { white-space:pre-wrap; word-break:break-word; background:var(--bg); padding:8px 10px;
  border-radius:8px; max-height:360px; overflow:auto; font-size:13px; margin:6px 0; }
.role { font-weight:600; font-size:13px; } .score { color:var(--muted); font-size:13px; }
svg.plot { width:100%; height:auto; display:block; }
svg text { font:11px system-ui,sans-serif; fill:var(--muted); }
.legend span { display:inline-block; margin-right:14px; font-size:13px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.cm { display:grid; grid-template-columns:auto 1fr 1fr; gap:4px; max-width:420px; }
.cm div { padding:10px; text-align:center; border-radius:6px; }
.cm .h { color:var(--muted); font-size:13px; }
input[type=search] { width:100%; padding:7px 10px; border:1px solid var(--line); border-radius:8px; font:inherit; }
code { font-size:12.5px; word-break:break-all; }
"#;

const SCRIPT: &str = r#"
(function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
        th.setAttribute('data-dir', dir);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-v') || a.cells[col].textContent;
          var y = b.cells[col].getAttribute('data-v') || b.cells[col].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return dir === 'asc' ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var filter = document.getElementById('filter');
  if (filter) {
    filter.addEventListener('input', function () {
      var q = filter.value.toLowerCase();
      document.querySelectorAll('details.dis').forEach(function (d) {
        d.style.display = d.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
    });
  }
  var data = JSON.parse(document.getElementById('report').textContent);
  var count = document.getElementById('count');
  if (count) { count.textContent = String(data.examples); }
  document.body.setAttribute('data-rendered', String(document.querySelectorAll('svg.plot').length));
})();
"#;

const COLORS: &[&str] = &["#2f6fdf", "#e0663a", "#1f9d55", "#8a55d6", "#c2455f"];

/// Renders the report as a complete HTML page.
pub fn render(report: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = if report.title.is_empty() {
        format!("Assay eval: {}", report.benchmark)
    } else {
        report.title.clone()
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body><main>",
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"sub\">{} format · <span id=\"count\">{}</span> examples · \
         Assay {}{}</p>",
        esc(&title),
        esc(&report.benchmark),
        report.examples,
        esc(&report.protocol.engine_version),
        report
            .protocol
            .grader
            .as_ref()
            .map(|g| format!(" · grader <b>{}</b>", esc(&g.name)))
            .or_else(|| report
                .protocol
                .scores
                .as_ref()
                .map(|s| format!(" · scores from <code>{}</code>", esc(&s.path))))
            .unwrap_or_default()
    );
    headline(&mut h, report);
    if !report.warnings.is_empty() {
        h.push_str("<div class=\"warn\"><b>Read this first</b><ul>");
        for w in &report.warnings {
            let _ = write!(h, "<li>{}</li>", esc(w));
        }
        h.push_str("</ul></div>");
    }
    for t in &report.tables {
        table(&mut h, t);
    }
    let mut plots = String::new();
    if let Some(c) = &report.confusion {
        confusion(&mut plots, c);
    }
    if let Some(c) = &report.calibration {
        reliability(&mut plots, c);
    }
    for hist in &report.histograms {
        histogram(&mut plots, hist);
    }
    if let Some(s) = &report.sweep {
        sweep(&mut plots, s);
    }
    if !plots.is_empty() {
        let _ = write!(h, "<h2>Plots</h2><div class=\"grid2\">{plots}</div>");
    }
    if let Some(p) = &report.probe {
        probe(&mut h, p);
    }
    disagreements(&mut h, &report.disagreements);
    protocol(&mut h, &report.protocol);
    let json = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
    // No `<` at all inside the script element: `</script>` or `<!--` in a response's text
    // cannot end or confuse it (`\u003c` is the same character to JSON.parse).
    let json = json.replace('<', "\\u003c");
    let _ = writeln!(
        h,
        "</main><script type=\"application/json\" id=\"report\">{json}</script>\
         <script>{SCRIPT}</script></body></html>"
    );
    h
}

fn headline(h: &mut String, report: &Report) {
    h.push_str("<div class=\"cards\">");
    for (i, m) in report.headline.iter().enumerate() {
        let _ = write!(
            h,
            "<div class=\"card{}\" title=\"{}\"><div class=\"n\">{}</div><div class=\"v\">{}</div>\
             <div class=\"d\">n = {}</div></div>",
            if i == 0 { " main" } else { "" },
            esc(&m.detail),
            esc(&m.name),
            pct(m.value),
            m.n
        );
    }
    h.push_str("</div>");
}

fn cell(v: &Value, percent: bool) -> String {
    match v {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if percent {
                let width = (x.clamp(0.0, 1.0) * 60.0).round();
                format!(
                    "<td class=\"num\" data-v=\"{x}\">{}<span class=\"bar\" style=\"width:{width}px\"></span></td>",
                    pct(Some(x))
                )
            } else {
                format!("<td class=\"num\" data-v=\"{x}\">{}</td>", num(x))
            }
        }
        Value::Null => "<td class=\"num\" data-v=\"-1\">—</td>".into(),
        Value::String(s) => format!("<td>{}</td>", esc(s)),
        other => format!("<td>{}</td>", esc(&other.to_string())),
    }
}

fn table(h: &mut String, t: &Table) {
    let _ = write!(
        h,
        "<h2>{}</h2><table class=\"sortable\"><thead><tr>",
        esc(&t.title)
    );
    for c in &t.columns {
        let _ = write!(h, "<th>{}</th>", esc(c.trim_end_matches(" %")));
    }
    h.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        h.push_str("<tr>");
        for (i, v) in row.iter().enumerate() {
            let percent = t.columns.get(i).is_some_and(|c| c.ends_with('%'));
            h.push_str(&cell(v, percent));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
}

const W: f64 = 480.0;
const H: f64 = 300.0;
const L: f64 = 48.0;
const R: f64 = 12.0;
const T: f64 = 14.0;
const B: f64 = 40.0;

fn axes(h: &mut String, xlo: f64, xhi: f64, ylo: f64, yhi: f64, xlabel: &str, ylabel: &str) {
    let _ = write!(
        h,
        "<line x1=\"{L}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#8a93a3\"/>\
         <line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{}\" stroke=\"#8a93a3\"/>",
        H - B,
        W - R,
        H - B,
        H - B
    );
    for i in 0..=4 {
        let f = i as f64 / 4.0;
        let x = L + f * (W - L - R);
        let y = H - B - f * (H - T - B);
        let _ = write!(
            h,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#eef0f4\"/>",
            H - B + 15.0,
            num(xlo + f * (xhi - xlo)),
            L - 5.0,
            y + 4.0,
            num(ylo + f * (yhi - ylo)),
            W - R
        );
    }
    let _ = write!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text x=\"12\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1})\">{}</text>",
        L + (W - L - R) / 2.0,
        H - 6.0,
        esc(xlabel),
        T + (H - T - B) / 2.0,
        T + (H - T - B) / 2.0,
        esc(ylabel)
    );
}

fn sx(x: f64, lo: f64, hi: f64) -> f64 {
    L + (x - lo) / (hi - lo) * (W - L - R)
}

fn sy(y: f64, lo: f64, hi: f64) -> f64 {
    H - B - (y - lo) / (hi - lo) * (H - T - B)
}

fn svg_open(h: &mut String, label: &str) {
    let _ = write!(
        h,
        "<svg class=\"plot\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
}

fn reliability(h: &mut String, c: &CalibrationReport) {
    let _ = write!(
        h,
        "<div class=\"panel\"><b>Reliability diagram</b> · ECE {:.4} over {} predictions\
         <div class=\"sub\" style=\"font-size:13px\">{}</div>",
        c.calibration.ece,
        c.calibration.n,
        esc(&c.what)
    );
    svg_open(h, "reliability diagram");
    axes(
        h,
        0.0,
        1.0,
        0.0,
        1.0,
        "predicted probability",
        "observed frequency",
    );
    let _ = write!(
        h,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#b4bac6\" stroke-dasharray=\"4 4\"/>",
        sx(0.0, 0.0, 1.0),
        sy(0.0, 0.0, 1.0),
        sx(1.0, 0.0, 1.0),
        sy(1.0, 0.0, 1.0)
    );
    for b in &c.calibration.bins {
        if b.count == 0 {
            continue;
        }
        let (x0, x1) = (sx(b.lo, 0.0, 1.0) + 1.5, sx(b.hi, 0.0, 1.0) - 1.5);
        let y = sy(b.frequency, 0.0, 1.0);
        let _ = write!(
            h,
            "<rect class=\"mark\" x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" opacity=\"0.75\">\
             <title>{}–{}: {} predictions, mean p {:.3}, observed {:.3}</title></rect>\
             <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
            (x1 - x0).max(0.5),
            (sy(0.0, 0.0, 1.0) - y).max(0.0),
            COLORS[0],
            num(b.lo),
            num(b.hi),
            b.count,
            b.confidence,
            b.frequency,
            sx(b.confidence, 0.0, 1.0),
            sy(b.confidence, 0.0, 1.0),
            COLORS[1]
        );
    }
    h.push_str(
        "</svg><div class=\"legend\"><span><i style=\"background:#2f6fdf\"></i>observed</span>\
                <span><i style=\"background:#e0663a\"></i>mean predicted</span></div></div>",
    );
}

fn histogram(h: &mut String, hist: &Histogram) {
    let _ = write!(h, "<div class=\"panel\"><b>{}</b>", esc(&hist.title));
    svg_open(h, &hist.title);
    let lo = hist.edges.first().copied().unwrap_or(0.0);
    let hi = hist.edges.last().copied().unwrap_or(1.0);
    let max = hist
        .series
        .iter()
        .flat_map(|s| s.counts.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    axes(h, lo, hi, 0.0, max, "score", "count");
    let k = hist.series.len().max(1) as f64;
    for (si, s) in hist.series.iter().enumerate() {
        for (b, &count) in s.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let (x0, x1) = (sx(hist.edges[b], lo, hi), sx(hist.edges[b + 1], lo, hi));
            let w = (x1 - x0) / k;
            let y = sy(count as f64, 0.0, max);
            let _ = write!(
                h,
                "<rect class=\"mark\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\">\
                 <title>{}: {} in [{}, {})</title></rect>",
                x0 + w * si as f64,
                (w - 0.5).max(0.5),
                (sy(0.0, 0.0, max) - y).max(0.5),
                COLORS[si % COLORS.len()],
                esc(&s.name),
                count,
                num(hist.edges[b]),
                num(hist.edges[b + 1])
            );
        }
    }
    h.push_str("</svg><div class=\"legend\">");
    for (si, s) in hist.series.iter().enumerate() {
        let _ = write!(
            h,
            "<span><i style=\"background:{}\"></i>{} ({})</span>",
            COLORS[si % COLORS.len()],
            esc(&s.name),
            s.counts.iter().sum::<usize>()
        );
    }
    h.push_str("</div></div>");
}

fn sweep(h: &mut String, s: &Sweep) {
    let _ = write!(
        h,
        "<div class=\"panel\"><b>{} by {}</b><div class=\"sub\" style=\"font-size:13px\">\
         at the threshold {}: {}; best {} at {} (chosen on this data: optimistic)</div>",
        esc(&s.y),
        esc(&s.x),
        num(s.at_threshold.0),
        pct(Some(s.at_threshold.1)),
        pct(Some(s.best.1)),
        num(s.best.0)
    );
    svg_open(h, "threshold sweep");
    let lo = s.points.first().map_or(0.0, |p| p.0);
    let mut hi = s.points.last().map_or(1.0, |p| p.0);
    if hi <= lo {
        hi = lo + 1.0;
    }
    axes(h, lo, hi, 0.0, 1.0, "threshold", &s.y);
    let path: Vec<String> = s
        .points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", sx(*x, lo, hi), sy(*y, 0.0, 1.0)))
        .collect();
    let _ = write!(
        h,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
        path.join(" "),
        COLORS[0]
    );
    for (x, y) in &s.points {
        let _ = write!(
            h,
            "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{}\"><title>{}: {}</title></circle>",
            sx(*x, lo, hi),
            sy(*y, 0.0, 1.0),
            COLORS[0],
            num(*x),
            pct(Some(*y))
        );
    }
    h.push_str("</svg></div>");
}

fn confusion(h: &mut String, c: &ConfusionReport) {
    let m = &c.matrix;
    let total = (m.tp + m.fp + m.tn + m.fn_).max(1) as f64;
    let shade = |n: usize, good: bool| {
        let a = 0.12 + 0.6 * n as f64 / total;
        if good {
            format!("rgba(31,157,85,{a:.2})")
        } else {
            format!("rgba(214,69,69,{a:.2})")
        }
    };
    let _ = write!(
        h,
        "<div class=\"panel\"><b>Confusion matrix</b> · threshold {} · precision {} · recall {} · F1 {}\
         <div class=\"cm\" style=\"margin-top:10px\">\
         <div></div><div class=\"h\">labelled correct</div><div class=\"h\">labelled wrong</div>\
         <div class=\"h\">accepted</div><div class=\"mark\" style=\"background:{}\">TP {}</div><div class=\"mark\" style=\"background:{}\">FP {}</div>\
         <div class=\"h\">rejected</div><div class=\"mark\" style=\"background:{}\">FN {}</div><div class=\"mark\" style=\"background:{}\">TN {}</div>\
         </div></div>",
        num(c.threshold),
        pct(c.precision),
        pct(c.recall),
        pct(c.f1),
        shade(m.tp, true),
        m.tp,
        shade(m.fp, false),
        m.fp,
        shade(m.fn_, false),
        m.fn_,
        shade(m.tn, true),
        m.tn
    );
}

fn probe(h: &mut String, p: &Probe) {
    let _ = write!(
        h,
        "<h2>Reward-hacking probe</h2><p class=\"sub\">{} master-key responses (punctuation only, \
         reasoning openers with no content) sent with {} prompts: <b>{} of {}</b> earned a score \
         of at least {}.</p><table class=\"sortable\"><thead><tr><th>response sent</th><th>sent</th>\
         <th>rewarded</th><th>failed</th><th>mean score</th></tr></thead><tbody>",
        p.keys.len(),
        p.prompts,
        p.rewarded,
        p.sent,
        num(p.threshold)
    );
    for k in &p.keys {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if k.key.trim().is_empty() {
                format!("{:?}", k.key)
            } else {
                esc(&k.key)
            },
            k.sent,
            k.rewarded,
            k.failed,
            k.mean_score.map_or("—".into(), num)
        );
    }
    h.push_str("</tbody></table>");
}

fn disagreements(h: &mut String, list: &[Disagreement]) {
    if list.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<h2>Worst disagreements ({})</h2><input type=\"search\" id=\"filter\" \
         placeholder=\"Filter by id, subset or text…\">",
        list.len()
    );
    for d in list {
        let _ = write!(
            h,
            "<details class=\"dis\"><summary><b>{}</b> <span class=\"tag\">{} · {} · margin {}</span></summary>\
             <div class=\"role\">prompt</div><pre>{}</pre>",
            esc(&d.id),
            esc(&d.subset),
            esc(&d.note),
            num(d.margin),
            esc(&d.prompt)
        );
        for t in &d.texts {
            let _ = write!(
                h,
                "<div><span class=\"role\">{}</span> <span class=\"score\">score {}</span></div><pre>{}</pre>",
                esc(&t.role),
                t.score.map_or("—".into(), num),
                esc(&t.text)
            );
        }
        h.push_str("</details>");
    }
}

fn protocol(h: &mut String, p: &Protocol) {
    h.push_str("<h2>Protocol</h2><table><tbody>");
    let mut row = |k: &str, v: String| {
        let _ = write!(
            h,
            "<tr><th style=\"width:180px\">{}</th><td>{}</td></tr>",
            esc(k),
            v
        );
    };
    row("engine", format!("Assay {}", esc(&p.engine_version)));
    row(
        "command",
        format!("<code>{}</code>", esc(&p.command.join(" "))),
    );
    if let Some(g) = &p.grader {
        row(
            "grader",
            format!(
                "{} from {} · config sha256 <code>{}</code><pre>{}</pre>",
                esc(&g.name),
                esc(&g.source),
                esc(&g.config_sha256),
                esc(&serde_json::to_string_pretty(&g.config).unwrap_or_default())
            ),
        );
    }
    for f in &p.data {
        row(
            "data",
            format!(
                "<code>{}</code> · {} rows · sha256 <code>{}</code>",
                esc(&f.path),
                f.rows.unwrap_or(0),
                esc(&f.sha256)
            ),
        );
    }
    if let Some(f) = &p.scores {
        row(
            "scores",
            format!(
                "<code>{}</code> · sha256 <code>{}</code>",
                esc(&f.path),
                esc(&f.sha256)
            ),
        );
    }
    if let Some(f) = &p.template {
        row(
            "template",
            format!(
                "<code>{}</code> · sha256 <code>{}</code>",
                esc(&f.path),
                esc(&f.sha256)
            ),
        );
    }
    if let Some(m) = p.max_length {
        row("max length", format!("{m} characters per response"));
    }
    row("threshold", num(p.threshold));
    h.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_texts_stay_text() {
        let evil = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>";
        let report = Report {
            title: evil.into(),
            benchmark: "pointwise".into(),
            examples: 1,
            missing_scores: 0,
            headline: vec![],
            tables: vec![],
            confusion: None,
            calibration: None,
            histograms: vec![],
            sweep: None,
            disagreements: vec![Disagreement {
                id: evil.into(),
                subset: "s".into(),
                margin: 1.0,
                note: evil.into(),
                prompt: evil.into(),
                texts: vec![Text {
                    role: "response".into(),
                    text: evil.into(),
                    score: Some(1.0),
                }],
            }],
            probe: None,
            protocol: Protocol::default(),
            warnings: vec![evil.into()],
        };
        let page = render(&report);
        assert!(
            !page.contains("<script>alert"),
            "markup from a text reached the page"
        );
        assert!(!page.contains("<img src=x"));
        // Exactly the two script elements of the page.
        assert_eq!(page.matches("<script").count(), 2);
        let json_start = page.find("id=\"report\">").unwrap();
        let json_end = page[json_start..].find("</script>").unwrap() + json_start;
        let embedded = &page[json_start + "id=\"report\">".len()..json_end];
        let back: Report = serde_json::from_str(embedded).unwrap();
        assert_eq!(back.disagreements[0].texts[0].text, evil);
    }

    #[test]
    fn escapes_markup_in_texts() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(pct(None), "—");
    }
}
