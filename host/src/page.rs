//! The health page for people: per customer, the gap-rate trend over 30 days, the breaker, the
//! reviews waiting and the latest runs, as one server-rendered HTML page with no script.

use std::fmt::Write as _;

use crate::api::CustomerView;

/// The gap rate the trend's full height stands for: a day at 5 % or more fills its bar.
const SCALE: f64 = 0.05;

/// The page for `customers`, with the daily gap rate above `threshold` marked.
pub fn render(customers: &[CustomerView], threshold: f64) -> String {
    let mut out = String::from(concat!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>VOMO reconciler: sync health</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}",
        "section{border:1px solid #ccc;border-radius:6px;padding:1rem;margin-bottom:1.5rem}",
        ".healthy{color:#176b2c}.unhealthy{color:#b00020}.open{color:#b00020;font-weight:bold}",
        "table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}",
        "svg rect.over{fill:#b00020}svg rect.under{fill:#3a7bd5}svg rect.none{fill:#ddd}",
        "</style></head><body><h1>Sync health</h1>\n",
    ));
    if customers.is_empty() {
        out.push_str("<p>No customers are configured.</p>\n");
    }
    for customer in customers {
        section(&mut out, customer, threshold);
    }
    out.push_str("</body></html>\n");
    out
}

fn section(out: &mut String, c: &CustomerView, threshold: f64) {
    let id = escape(&c.id);
    let (class, word) =
        if c.health.healthy { ("healthy", "healthy") } else { ("unhealthy", "unhealthy") };
    let rate =
        c.health.gap_rate.map_or("no runs yet".to_owned(), |r| format!("{:.2} %", r * 100.0));
    let breaker = if c.health.breaker_open {
        "<span class=\"open\">open: actions held</span>"
    } else {
        "closed"
    };
    let _ = writeln!(
        out,
        "<section id=\"customer-{id}\"><h2>{id} <span class=\"{class}\">{word}</span></h2>\
         <p>Gap rate over 30 days: {rate}. Breaker: {breaker}. Reviews waiting: {}.</p>",
        c.pending_reviews
    );
    trend(out, c, threshold);
    out.push_str(
        "<table><tr><th>run</th><th>task</th><th>started</th><th>outcome</th>\
                  <th>checked</th><th>gaps</th><th>actions</th><th>breaker</th></tr>\n",
    );
    for run in &c.last_runs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            run.id,
            escape(&run.task),
            escape(&run.started_at),
            run.outcome,
            run.checked,
            run.gaps,
            run.actions_taken,
            escape(&run.breaker)
        );
    }
    out.push_str("</table></section>\n");
}

/// One bar a day, its height the day's gap rate; days above the threshold in red.
fn trend(out: &mut String, c: &CustomerView, threshold: f64) {
    let _ = write!(
        out,
        "<svg class=\"trend\" width=\"330\" height=\"60\" role=\"img\" \
         aria-label=\"daily gap rate of {}, last 30 days\">",
        escape(&c.id)
    );
    for (index, day) in c.health.days.iter().enumerate() {
        let (class, height) = match day.gap_rate {
            None => ("none", 2.0),
            Some(rate) => {
                let class = if rate > threshold { "over" } else { "under" };
                (class, (rate / SCALE).min(1.0) * 56.0 + 2.0)
            }
        };
        let (x, y) = (index * 11, 60.0 - height);
        let _ = write!(
            out,
            "<rect class=\"{class}\" x=\"{x}\" y=\"{y:.1}\" width=\"9\" height=\"{height:.1}\">\
             <title>{}: {}</title></rect>",
            day.day,
            day.gap_rate.map_or("no runs".to_owned(), |r| format!("{:.2} %", r * 100.0))
        );
    }
    out.push_str("</svg>\n");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
