//! The sales-report chart served at `GET /v1/reports/sales/chart.svg`: the
//! gross and net sales over time, one line per currency or per group, as a
//! standalone SVG document a browser shows directly.
//!
//! Why it is shaped so:
//!
//! - It is a pure function of its input, with no dependency beyond `chrono`
//!   and `domain`, so it can be tested without a database or a browser, and
//!   the same input always gives the same bytes (cacheable, diffable).
//! - Money stays integer minor units until the last moment. The y axis is
//!   labelled in major units of the currency (`Currency::exponent`), except
//!   when the series mix currencies: then it stays in minor units and says
//!   so, since one axis in mixed major units would mislead. Tick values are
//!   built as `k × m × 10^e` (m in 1, 2, 5) and printed from those integers,
//!   so labels never carry floating-point noise.
//! - Points are placed in UTC; time labels are the local wall-clock times of
//!   the report (the offsets carried by `from`, `to` and the points), so a
//!   daylight-saving change inside the range still labels local midnights.
//! - Every caller-supplied string is XML-escaped (and stripped of characters
//!   XML cannot carry); every number goes through one formatter that cannot
//!   print `NaN` or `inf`, whatever the input (empty, `from == to`, all
//!   zeros, amounts near `i64::MAX`).
//! - No scripts, external fonts, links or styles: only presentation
//!   attributes, `font-family="sans-serif"`, and a colour-blind-friendly
//!   palette (Okabe–Ito, without its yellow, which is unreadable on white).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use domain::currency::Currency;

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text, e.g. "IDR gross" or "IDR net · VIP" (free text from the caller: escape it).
    pub label: String,
    /// ISO 4217 code of the amounts (used to scale minor units to major units on the axis).
    pub currency: String,
    /// (bucket start with its UTC offset, amount in minor units); sorted by time; may be empty; amounts may be negative (net after refunds).
    pub points: Vec<(DateTime<FixedOffset>, i64)>,
}

/// What the chart shows, for the title and axis.
#[derive(Debug, Clone)]
pub struct ChartMeta {
    /// e.g. "Sales, daily, Asia/Jakarta" (escaped when rendered).
    pub title: String,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 480.0;
const PLOT_TOP: f64 = 92.0;
const PLOT_BOTTOM: f64 = HEIGHT - 48.0;
/// Room on the right for the legend when there is something to list.
const LEGEND_WIDTH: f64 = 210.0;
/// Characters of a legend line (about 160 pixels of 12-pixel text).
const LEGEND_CHARS: usize = 22;
const LEGEND_LINE: f64 = 15.0;
const LEGEND_GAP: f64 = 7.0;
/// Okabe–Ito, yellow left out; cycled past its end.
const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];
const GRID: &str = "#E6E6E6";
const AXIS: &str = "#8C8C8C";
const INK: &str = "#222222";
const MUTED: &str = "#555555";
/// At most this many time labels; the step is the smallest that fits.
const MAX_TIME_TICKS: usize = 8;

/// Renders the chart as a complete standalone SVG document (UTF-8 string).
pub fn render_svg(meta: &ChartMeta, series: &[Series]) -> String {
    let lines: Vec<Vec<(i64, i64)>> = series
        .iter()
        .map(|s| {
            let mut points: Vec<(i64, i64)> =
                s.points.iter().map(|(t, v)| (t.timestamp(), *v)).collect();
            points.sort_by_key(|&(t, _)| t);
            points
        })
        .collect();
    let has_data = lines.iter().any(|p| !p.is_empty());
    let time = TimeAxis::new(meta, series);
    let units = Units::of(series);
    let values = lines.iter().flatten().map(|&(_, v)| v);
    let y_axis = if has_data {
        let min = values.clone().min().unwrap_or(0);
        let max = values.max().unwrap_or(0);
        Some(ValueAxis::new(min, max, units.exponent))
    } else {
        None
    };
    let y_labels: Vec<String> = y_axis
        .as_ref()
        .map(|a| a.labels(units.exponent))
        .unwrap_or_default();
    let widest = y_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let plot = Plot {
        left: (widest as f64 * 7.0 + 18.0).clamp(56.0, 240.0),
        right: if has_data {
            WIDTH - LEGEND_WIDTH
        } else {
            WIDTH - 32.0
        },
        top: PLOT_TOP,
        bottom: PLOT_BOTTOM,
    };

    let mut out = String::with_capacity(4096);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" role=\"img\">\n",
        w = num(WIDTH),
        h = num(HEIGHT)
    ));
    out.push_str(&format!("<title>{}</title>\n", escape(&meta.title)));
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>\n",
        num(WIDTH),
        num(HEIGHT)
    ));
    text(
        &mut out,
        24.0,
        32.0,
        "font-size=\"18\" font-weight=\"bold\"",
        INK,
        &truncate(&meta.title, 84),
    );
    let mut subtitle = range_text(meta);
    if has_data {
        subtitle.push_str(" · ");
        subtitle.push_str(&units.caption);
    }
    text(
        &mut out,
        24.0,
        54.0,
        "font-size=\"12\"",
        MUTED,
        &truncate(&subtitle, 130),
    );

    // Vertical grid and time labels.
    for (at, label) in &time.ticks {
        let x = plot.x(time.fraction(*at));
        line(&mut out, x, plot.top, x, plot.bottom, GRID, "");
        line(&mut out, x, plot.bottom, x, plot.bottom + 5.0, AXIS, "");
        text(
            &mut out,
            x,
            plot.bottom + 20.0,
            "font-size=\"12\" text-anchor=\"middle\"",
            MUTED,
            label,
        );
    }

    match y_axis {
        Some(axis) => {
            // Horizontal grid and value labels.
            for (k, label) in (axis.k_lo..=axis.k_hi).zip(&y_labels) {
                let y = plot.y(axis.fraction(k as f64 * axis.step));
                line(&mut out, plot.left, y, plot.right, y, GRID, "");
                text(
                    &mut out,
                    plot.left - 8.0,
                    y + 4.0,
                    "font-size=\"12\" text-anchor=\"end\"",
                    MUTED,
                    label,
                );
            }
            text(
                &mut out,
                24.0,
                plot.top - 12.0,
                "font-size=\"11\"",
                MUTED,
                &units.short,
            );
            line(
                &mut out,
                plot.left,
                plot.top,
                plot.left,
                plot.bottom,
                AXIS,
                "",
            );
            line(
                &mut out,
                plot.left,
                plot.bottom,
                plot.right,
                plot.bottom,
                AXIS,
                "",
            );
            if axis.has_negative {
                let y = plot.y(axis.fraction(0.0));
                line(
                    &mut out,
                    plot.left,
                    y,
                    plot.right,
                    y,
                    INK,
                    " stroke-width=\"1.2\" class=\"zero-line\"",
                );
            }
            for (i, (s, points)) in series.iter().zip(&lines).enumerate() {
                draw_series(&mut out, &plot, &time, &axis, i, s, points);
            }
            draw_legend(&mut out, &plot, series, &lines);
        }
        None => {
            line(
                &mut out,
                plot.left,
                plot.bottom,
                plot.right,
                plot.bottom,
                AXIS,
                "",
            );
            text(
                &mut out,
                (plot.left + plot.right) / 2.0,
                (plot.top + plot.bottom) / 2.0,
                "font-size=\"16\" text-anchor=\"middle\"",
                MUTED,
                "No sales in this period",
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The plotting area, in viewBox pixels.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    fn x(&self, fraction: f64) -> f64 {
        self.left + clamp_unit(fraction) * (self.right - self.left)
    }

    /// `fraction` 0 is the bottom of the axis, 1 its top.
    fn y(&self, fraction: f64) -> f64 {
        self.bottom - clamp_unit(fraction) * (self.bottom - self.top)
    }
}

fn clamp_unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn draw_series(
    out: &mut String,
    plot: &Plot,
    time: &TimeAxis,
    axis: &ValueAxis,
    index: usize,
    series: &Series,
    points: &[(i64, i64)],
) {
    let colour = PALETTE[index % PALETTE.len()];
    let coords: Vec<(f64, f64)> = points
        .iter()
        .map(|&(t, v)| (plot.x(time.fraction(t)), plot.y(axis.fraction(v as f64))))
        .collect();
    match coords.as_slice() {
        [] => {}
        [(x, y)] => {
            out.push_str(&format!("<g><title>{}</title>", escape(&series.label)));
            out.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{colour}\"/></g>\n",
                num(*x),
                num(*y)
            ));
        }
        many => {
            let joined: Vec<String> = many
                .iter()
                .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
                .collect();
            out.push_str(&format!("<g><title>{}</title>", escape(&series.label)));
            out.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" \
                 stroke-linejoin=\"round\" stroke-linecap=\"round\"{}/></g>\n",
                joined.join(" "),
                dash(&series.label)
            ));
        }
    }
}

/// The legend, right of the plot: each series' line sample and its label,
/// wrapped (preferably at " · ") onto up to three lines; past the room, a
/// "+ N more" line.
fn draw_legend(out: &mut String, plot: &Plot, series: &[Series], lines: &[Vec<(i64, i64)>]) {
    let x = plot.right + 16.0;
    let mut y = plot.top + 6.0;
    for (i, (s, points)) in series.iter().zip(lines).enumerate() {
        let mut label = s.label.clone();
        if points.is_empty() {
            label.push_str(" (none)");
        }
        let rows = wrap(&label, LEGEND_CHARS, 3);
        let height = rows.len() as f64 * LEGEND_LINE;
        let room = if i + 1 < series.len() {
            LEGEND_LINE
        } else {
            0.0
        };
        if y + height + room > plot.bottom {
            let more = format!("+ {} more", series.len() - i);
            text(out, x + 30.0, y + 4.0, "font-size=\"12\"", MUTED, &more);
            return;
        }
        let colour = PALETTE[i % PALETTE.len()];
        out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"2.5\"{}/>\n",
            num(x),
            num(y),
            num(x + 22.0),
            num(y),
            dash(&s.label)
        ));
        for (row, content) in rows.iter().enumerate() {
            let baseline = y + 4.0 + row as f64 * LEGEND_LINE;
            text(out, x + 30.0, baseline, "font-size=\"12\"", INK, content);
        }
        y += height + LEGEND_GAP;
    }
}

/// `raw` in lines of at most `width` characters, broken before " · " where
/// possible, else at spaces; at most `max_lines`, an ellipsis marking a cut.
fn wrap(raw: &str, width: usize, max_lines: usize) -> Vec<String> {
    fn add(lines: &mut Vec<String>, current: &mut String, piece: &str, width: usize) -> bool {
        let (have, more) = (current.chars().count(), piece.chars().count());
        if current.is_empty() && more <= width {
            current.push_str(piece);
        } else if !current.is_empty() && have + 1 + more <= width {
            current.push(' ');
            current.push_str(piece);
        } else if more <= width {
            lines.push(std::mem::replace(current, piece.to_owned()));
        } else {
            return false;
        }
        true
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for (i, segment) in raw.split('·').map(str::trim).enumerate() {
        if segment.is_empty() {
            continue;
        }
        let piece = if i == 0 {
            segment.to_owned()
        } else {
            format!("· {segment}")
        };
        if !add(&mut lines, &mut current, &piece, width) {
            for word in piece.split_whitespace() {
                add(&mut lines, &mut current, &truncate(word, width), width);
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = truncate(&format!("{last}…"), width);
        }
    }
    lines
}

/// Net lines are dashed: a label with the word "net" in it ("IDR net",
/// "IDR net · VIP"), whatever its case; "internet" does not count.
fn is_net(label: &str) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.eq_ignore_ascii_case("net"))
}

fn dash(label: &str) -> &'static str {
    if is_net(label) {
        " stroke-dasharray=\"7 4\""
    } else {
        ""
    }
}

fn line(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64, colour: &str, extra: &str) {
    out.push_str(&format!(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\"{extra}/>\n",
        num(x1),
        num(y1),
        num(x2),
        num(y2)
    ));
}

/// `attributes` are trusted constants; `content` is escaped here.
fn text(out: &mut String, x: f64, y: f64, attributes: &str, colour: &str, content: &str) {
    out.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" {attributes} fill=\"{colour}\">{}</text>\n",
        num(x),
        num(y),
        escape(content)
    ));
}

/// A coordinate with at most one decimal, never `NaN`, `inf` or `-0`.
fn num(v: f64) -> String {
    let v = if v.is_finite() {
        v.clamp(-1.0e6, 1.0e6)
    } else {
        0.0
    };
    let tenths = (v * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    if tenth == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{tenth}")
    }
}

/// XML-escapes text for element content and attribute values alike, and
/// replaces the characters XML 1.0 cannot carry (control characters) by a
/// space.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, an ellipsis marking a cut.
fn truncate(raw: &str, max: usize) -> String {
    let raw = raw.trim();
    if raw.chars().count() <= max {
        raw.to_owned()
    } else {
        let mut cut: String = raw.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// "2026-11-01 00:00 to 2026-12-01 00:00 (UTC+07:00)".
fn range_text(meta: &ChartMeta) -> String {
    let (from, to) = (meta.from.naive_local(), meta.to.naive_local());
    let (from_offset, to_offset) = (meta.from.offset(), meta.to.offset());
    if from_offset == to_offset {
        format!(
            "{} to {} (UTC{from_offset})",
            day_minute(from),
            day_minute(to)
        )
    } else {
        format!(
            "{}{from_offset} to {}{to_offset}",
            day_minute(from),
            day_minute(to)
        )
    }
}

fn day_minute(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// How amounts are shown: the exponent dividing minor units on the axis, and
/// the words saying so.
#[derive(Debug)]
struct Units {
    exponent: u32,
    caption: String,
    short: String,
}

impl Units {
    fn of(series: &[Series]) -> Self {
        let mut codes: Vec<&str> = series
            .iter()
            .filter(|s| !s.points.is_empty())
            .map(|s| s.currency.trim())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        match codes.as_slice() {
            [code] => match Currency::parse(code) {
                Ok(currency) => Self {
                    exponent: u32::from(currency.exponent()),
                    caption: format!("amounts in {currency}"),
                    short: currency.to_string(),
                },
                Err(_) => Self {
                    exponent: 0,
                    caption: format!("amounts in minor units of {}", truncate(code, 12)),
                    short: "minor units".to_owned(),
                },
            },
            many => Self {
                exponent: 0,
                caption: format!(
                    "amounts in minor units of each currency ({}): scales differ",
                    truncate(&many.join(", "), 40)
                ),
                short: "minor units".to_owned(),
            },
        }
    }
}

/// The value axis: ticks at `k × step` minor units for `k` in
/// `k_lo..=k_hi`, with `step = m × 10^e`, m in 1, 2, 5.
#[derive(Debug)]
struct ValueAxis {
    m: i64,
    e: u32,
    step: f64,
    k_lo: i64,
    k_hi: i64,
    has_negative: bool,
}

impl ValueAxis {
    /// From `min(0, min)` to `max(0, max)`, in 3 to 5 intervals (4 to 6
    /// ticks) when the 1-2-5 steps allow it, never a step below one minor
    /// unit.
    fn new(min: i64, max: i64, exponent: u32) -> Self {
        let lo = min.min(0) as f64;
        let mut hi = max.max(0) as f64;
        if hi <= lo {
            // All zeros: one major unit, or five units of a currency without
            // minor units, so the ticks still read as money.
            hi = if exponent > 0 {
                10f64.powi(exponent as i32)
            } else {
                5.0
            };
        } else if hi - lo < 5.0 {
            // A few minor units: steps cannot go below one, so widen to five.
            hi = lo + 5.0;
        }
        let span = hi - lo;
        let first_e = ((span / 5.0).log10().floor() as i64 - 1).clamp(0, 20) as u32;
        let mut fallback = None;
        for e in first_e..=first_e.saturating_add(3).min(22) {
            for m in [1i64, 2, 5] {
                let step = m as f64 * 10f64.powi(e as i32);
                let k_lo = (lo / step).floor() as i64;
                let k_hi = ((hi / step).ceil() as i64).max(k_lo + 1);
                let axis = Self {
                    m,
                    e,
                    step,
                    k_lo,
                    k_hi,
                    has_negative: min < 0,
                };
                let intervals = k_hi - k_lo;
                if (3..=5).contains(&intervals) {
                    return axis;
                }
                if intervals <= 5 && fallback.is_none() {
                    fallback = Some(axis);
                }
            }
        }
        fallback.unwrap_or(Self {
            m: 1,
            e: 22,
            step: 1e22,
            k_lo: -1,
            k_hi: 1,
            has_negative: min < 0,
        })
    }

    /// Where `value` (minor units) sits, 0 at the bottom, 1 at the top.
    fn fraction(&self, value: f64) -> f64 {
        let lo = self.k_lo as f64 * self.step;
        let hi = self.k_hi as f64 * self.step;
        (value - lo) / (hi - lo)
    }

    /// The tick labels, bottom to top, in major units (minor units divided
    /// by `10^exponent`), with thousands separators.
    fn labels(&self, exponent: u32) -> Vec<String> {
        (self.k_lo..=self.k_hi)
            .map(|k| decimal(k.saturating_mul(self.m), self.e as i64 - exponent as i64))
            .collect()
    }
}

/// `n × 10^shift` written out exactly, "1,500,000" or "0.25"; zero is "0".
fn decimal(n: i64, shift: i64) -> String {
    if n == 0 {
        return "0".to_owned();
    }
    let sign = if n < 0 { "-" } else { "" };
    let mut digits = n.unsigned_abs().to_string();
    let (int, frac) = if shift >= 0 {
        digits.extend(std::iter::repeat_n('0', shift as usize));
        (digits, String::new())
    } else {
        let places = shift.unsigned_abs() as usize;
        if digits.len() <= places {
            digits = "0".repeat(places + 1 - digits.len()) + &digits;
        }
        let frac = digits.split_off(digits.len() - places);
        (digits, frac)
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// The time axis: the instants it spans (UTC seconds) and its labels.
#[derive(Debug)]
struct TimeAxis {
    start: i64,
    end: i64,
    ticks: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Copy)]
enum TimeLabel {
    /// "HH:MM", within a day.
    Minute,
    /// "MM-DD HH:MM", within a few days.
    DayMinute,
    /// "MM-DD", within about three months.
    Day,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// An average Gregorian month, for estimates only.
const MONTH: i64 = 2_629_746;

impl TimeAxis {
    /// Spans `meta.from..meta.to`, widened to any point outside it, and to
    /// an hour around a single instant so nothing divides by zero.
    fn new(meta: &ChartMeta, series: &[Series]) -> Self {
        // Every instant whose local offset is known, to label ticks in the
        // wall-clock time in force around them.
        let mut known: Vec<(i64, i64)> = [&meta.from, &meta.to]
            .into_iter()
            .chain(series.iter().flat_map(|s| s.points.iter().map(|(t, _)| t)))
            .map(|t| (t.timestamp(), i64::from(t.offset().local_minus_utc())))
            .collect();
        known.sort_unstable();
        known.dedup();
        let mut start = known.first().map_or(0, |k| k.0);
        let mut end = known.last().map_or(0, |k| k.0);
        if end - start < MINUTE {
            let middle = start + (end - start) / 2;
            start = middle - HOUR / 2;
            end = middle + HOUR / 2;
        }
        let span = end - start;
        let ticks = if span <= 26 * HOUR {
            let steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720].map(|m| m * MINUTE);
            Self::fixed(&known, start, end, &steps, TimeLabel::Minute)
        } else if span <= 4 * DAY {
            let steps = [6 * HOUR, 12 * HOUR, DAY];
            Self::fixed(&known, start, end, &steps, TimeLabel::DayMinute)
        } else if span <= 100 * DAY {
            let steps = [1, 2, 3, 7, 14, 21].map(|d| d * DAY);
            Self::fixed(&known, start, end, &steps, TimeLabel::Day)
        } else {
            Self::months(&known, start, end)
        };
        Self { start, end, ticks }
    }

    /// Where `at` sits, 0 at the start, 1 at the end.
    fn fraction(&self, at: i64) -> f64 {
        (at - self.start) as f64 / (self.end - self.start) as f64
    }

    /// Ticks every `step` seconds of local time, at multiples of the step
    /// (of a day for steps of days); the smallest step giving at most
    /// [`MAX_TIME_TICKS`] labels.
    fn fixed(
        known: &[(i64, i64)],
        start: i64,
        end: i64,
        steps: &[i64],
        label: TimeLabel,
    ) -> Vec<(i64, String)> {
        let local_start = start + offset_at(known, start);
        for &step in steps {
            if (end - start) / step > MAX_TIME_TICKS as i64 + 1 {
                continue;
            }
            let anchor = step.min(DAY);
            let mut local = local_start.div_euclid(anchor) * anchor;
            if local < local_start {
                local += anchor;
            }
            let mut ticks = Vec::new();
            for _ in 0..=MAX_TIME_TICKS + 1 {
                let at = local - local_offset(known, local);
                if at > end {
                    break;
                }
                if at >= start {
                    if let Some(wall) = naive(local) {
                        let text = match label {
                            TimeLabel::Minute => {
                                format!("{:02}:{:02}", wall.hour(), wall.minute())
                            }
                            TimeLabel::DayMinute => format!(
                                "{:02}-{:02} {:02}:{:02}",
                                wall.month(),
                                wall.day(),
                                wall.hour(),
                                wall.minute()
                            ),
                            TimeLabel::Day => format!("{:02}-{:02}", wall.month(), wall.day()),
                        };
                        ticks.push((at, text));
                    }
                }
                local += step;
            }
            if ticks.len() <= MAX_TIME_TICKS {
                return ticks;
            }
        }
        Vec::new()
    }

    /// "YYYY-MM" ticks on the first of a month, every 1, 2, 3, 6 months or
    /// 1, 2, 5, 10, 20, 50... years.
    fn months(known: &[(i64, i64)], start: i64, end: i64) -> Vec<(i64, String)> {
        let Some(first) = naive(start + offset_at(known, start)) else {
            return Vec::new();
        };
        let mut first_month = i64::from(first.year()) * 12 + i64::from(first.month0());
        if first.day() != 1 || first.time() != chrono::NaiveTime::MIN {
            first_month += 1;
        }
        let years = (0..8u32).flat_map(|p| [1i64, 2, 5].map(|m| 12 * m * 10i64.pow(p)));
        for step in [1i64, 2, 3, 6].into_iter().chain(years) {
            if (end - start) / MONTH / step > MAX_TIME_TICKS as i64 + 1 {
                continue;
            }
            let mut month = first_month.div_euclid(step) * step;
            if month < first_month {
                month += step;
            }
            let mut ticks = Vec::new();
            for _ in 0..=MAX_TIME_TICKS + 1 {
                let Some(wall) = i32::try_from(month.div_euclid(12))
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, month.rem_euclid(12) as u32 + 1, 1))
                else {
                    break;
                };
                let local = wall.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
                let at = local - local_offset(known, local);
                if at > end {
                    break;
                }
                if at >= start {
                    ticks.push((at, format!("{:04}-{:02}", wall.year(), wall.month())));
                }
                month += step;
            }
            if ticks.len() <= MAX_TIME_TICKS {
                return ticks;
            }
        }
        Vec::new()
    }
}

/// The offset in force at UTC instant `at`: that of the latest known instant
/// not after it (the first one's before them all).
fn offset_at(known: &[(i64, i64)], at: i64) -> i64 {
    let mut offset = known.first().map_or(0, |k| k.1);
    for &(t, o) in known {
        if t > at {
            break;
        }
        offset = o;
    }
    offset
}

/// The offset in force at local wall-clock time `local` (seconds since the
/// local epoch), judged from the known instants' own local times.
fn local_offset(known: &[(i64, i64)], local: i64) -> i64 {
    let mut offset = known.first().map_or(0, |k| k.1);
    for &(t, o) in known {
        if t + o > local {
            break;
        }
        offset = o;
    }
    offset
}

/// Local seconds since the epoch as a wall-clock date and time.
fn naive(local: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(local, 0).map(|t| t.naive_utc())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap()
    }

    fn meta(from: &str, to: &str) -> ChartMeta {
        ChartMeta {
            title: "Sales, daily, Asia/Jakarta".to_owned(),
            from: at(from),
            to: at(to),
        }
    }

    fn series(label: &str, currency: &str, points: &[(&str, i64)]) -> Series {
        Series {
            label: label.to_owned(),
            currency: currency.to_owned(),
            points: points.iter().map(|&(t, v)| (at(t), v)).collect(),
        }
    }

    fn november() -> ChartMeta {
        meta("2026-11-01T00:00:00+07:00", "2026-11-08T00:00:00+07:00")
    }

    fn week_of(label: &str, currency: &str, amounts: [i64; 7]) -> Series {
        let days: Vec<String> = (1..=7)
            .map(|d| format!("2026-11-{d:02}T00:00:00+07:00"))
            .collect();
        let points: Vec<(&str, i64)> = days.iter().map(String::as_str).zip(amounts).collect();
        series(label, currency, &points)
    }

    /// Tags balance (a tiny stack-based scan), one root element, attribute
    /// quotes close, and every `&` starts one of the five entities.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            assert_entities(&rest[..open]);
            let close = rest[open..].find('>').expect("unclosed tag") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
            assert_entities(tag);
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
            } else {
                let name = tag
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/');
                assert!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "bad tag name in <{tag}>"
                );
                if stack.is_empty() {
                    roots += 1;
                }
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &rest[close + 1..];
        }
        assert_entities(rest);
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        assert_eq!(roots, 1, "exactly one root element");
    }

    fn assert_entities(text: &str) {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "raw '&' in {text}"
            );
        }
    }

    /// The y-axis labels: text anchored at the end, left of the plot.
    fn value_labels(svg: &str) -> Vec<String> {
        svg.lines()
            .filter(|l| l.starts_with("<text") && l.contains("text-anchor=\"end\""))
            .filter_map(|l| {
                let start = l.find('>')? + 1;
                let end = l.rfind("</text>")?;
                Some(l[start..end].to_owned())
            })
            .collect()
    }

    /// The x-axis labels: text anchored in the middle, below the plot.
    fn time_labels(svg: &str) -> Vec<String> {
        svg.lines()
            .filter(|l| l.starts_with("<text") && l.contains("text-anchor=\"middle\""))
            .filter_map(|l| {
                let start = l.find('>')? + 1;
                let end = l.rfind("</text>")?;
                Some(l[start..end].to_owned())
            })
            .collect()
    }

    #[test]
    fn renders_a_well_formed_document_with_one_polyline_per_series() {
        let svg = render_svg(
            &november(),
            &[
                week_of(
                    "IDR gross",
                    "IDR",
                    [10, 20, 30, 25, 40, 35, 50].map(|v| v * 100_000),
                ),
                week_of(
                    "IDR net",
                    "IDR",
                    [9, 18, 28, 20, 39, 30, 45].map(|v| v * 100_000),
                ),
                week_of(
                    "IDR gross · VIP",
                    "IDR",
                    [1, 2, 3, 2, 4, 3, 5].map(|v| v * 100_000),
                ),
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("viewBox=\"0 0 960 480\""));
        assert!(svg.contains("width=\"960\"") && svg.contains("height=\"480\""));
        assert!(svg.contains("font-family=\"sans-serif\""));
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            2,
            "the net line and its legend"
        );
        assert!(!svg.contains("<script") && !svg.contains("href"));
        assert_well_formed(&svg);
    }

    #[test]
    fn lists_every_series_in_the_legend_with_its_colour() {
        let many: Vec<Series> = (0..9)
            .map(|i| week_of(&format!("group {i}"), "IDR", [i; 7]))
            .collect();
        let svg = render_svg(&november(), &many);
        for i in 0..9 {
            assert!(
                svg.contains(&format!(">group {i}</text>")),
                "group {i} in the legend"
            );
        }
        assert!(svg.contains(&format!("stroke=\"{}\"", PALETTE[0])));
        assert!(svg.contains(&format!("stroke=\"{}\"", PALETTE[6])));
        assert_eq!(svg.matches("<polyline").count(), 9);
        assert_well_formed(&svg);
    }

    #[test]
    fn escapes_labels_and_titles() {
        let mut chart = november();
        chart.title = "Q4 <script>alert('x')</script> & more".to_owned();
        let svg = render_svg(&chart, &[week_of("<b>&\"x\"", "IDR", [1; 7])]);
        assert!(svg.contains("&lt;b&gt;&amp;&quot;x&quot;"));
        assert!(!svg.contains("<b>"));
        assert!(!svg.contains("\"x\""));
        assert!(svg.contains("Q4 &lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; more"));
        assert!(!svg.contains("<script"));
        assert_well_formed(&svg);
    }

    #[test]
    fn replaces_control_characters_xml_cannot_carry() {
        let svg = render_svg(&november(), &[week_of("a\u{0}b\u{1b}c", "IDR", [1; 7])]);
        assert!(!svg.contains('\u{0}') && !svg.contains('\u{1b}'));
        assert!(svg.contains("a b c"));
    }

    #[test]
    fn shows_a_message_when_there_is_no_data() {
        for given in [
            vec![],
            vec![
                series("IDR gross", "IDR", &[]),
                series("IDR net", "IDR", &[]),
            ],
        ] {
            let svg = render_svg(&november(), &given);
            assert!(svg.contains("No sales in this period"));
            assert_eq!(svg.matches("<polyline").count(), 0);
            assert_eq!(svg.matches("<circle").count(), 0);
            assert!(svg.contains("Sales, daily, Asia/Jakarta"));
            assert_well_formed(&svg);
        }
        let svg = render_svg(&november(), &[week_of("IDR gross", "IDR", [0; 7])]);
        assert!(!svg.contains("No sales in this period"), "zeros are data");
    }

    #[test]
    fn draws_a_zero_line_for_negative_values() {
        let svg = render_svg(
            &november(),
            &[week_of(
                "IDR net",
                "IDR",
                [500, -300, 200, -100, 0, 400, 100].map(|v| v * 100),
            )],
        );
        assert_eq!(svg.matches("class=\"zero-line\"").count(), 1);
        let labels = value_labels(&svg);
        assert!(labels.iter().any(|l| l.starts_with('-')), "{labels:?}");
        assert!(labels.contains(&"0".to_owned()), "{labels:?}");
        assert_well_formed(&svg);

        let positive = render_svg(&november(), &[week_of("IDR gross", "IDR", [1; 7])]);
        assert!(!positive.contains("zero-line"));
    }

    #[test]
    fn scales_ticks_to_major_units() {
        let svg = render_svg(
            &november(),
            &[week_of(
                "IDR gross",
                "IDR",
                [10, 50, 80, 100, 120, 140, 150].map(|v| v * 1_000_000),
            )],
        );
        let labels = value_labels(&svg);
        assert!(labels.contains(&"1,500,000".to_owned()), "{labels:?}");
        assert!(!svg.contains("150,000,000"));
        assert!(svg.contains("amounts in IDR"));
        assert!((4..=6).contains(&labels.len()), "{labels:?}");

        let yen = render_svg(&november(), &[week_of("JPY gross", "JPY", [1_500_000; 7])]);
        assert!(value_labels(&yen).contains(&"1,500,000".to_owned()));
        let dinar = render_svg(&november(), &[week_of("KWD gross", "KWD", [1_500; 7])]);
        let dinar_labels = value_labels(&dinar);
        assert!(dinar_labels.contains(&"1.5".to_owned()), "{dinar_labels:?}");
    }

    #[test]
    fn labels_the_axis_in_minor_units_when_currencies_are_mixed() {
        let svg = render_svg(
            &november(),
            &[
                week_of("IDR gross", "IDR", [150_000_000; 7]),
                week_of("JPY gross", "JPY", [20_000; 7]),
            ],
        );
        assert!(svg.contains("minor units"));
        assert!(value_labels(&svg).contains(&"150,000,000".to_owned()));
    }

    #[test]
    fn labels_time_by_the_length_of_the_range() {
        let day = meta("2026-11-01T00:00:00+07:00", "2026-11-02T00:00:00+07:00");
        let hourly = [
            ("2026-11-01T10:00:00+07:00", 5),
            ("2026-11-01T11:00:00+07:00", 7),
        ];
        let labels = time_labels(&render_svg(&day, &[series("IDR gross", "IDR", &hourly)]));
        assert!((4..=8).contains(&labels.len()), "{labels:?}");
        assert_eq!(labels[0], "00:00");

        let week = time_labels(&render_svg(
            &november(),
            &[week_of("IDR gross", "IDR", [1; 7])],
        ));
        assert!((4..=8).contains(&week.len()), "{week:?}");
        assert_eq!(week[0], "11-01");

        let year = meta("2026-01-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00");
        let monthly = [
            ("2026-01-01T00:00:00+07:00", 5),
            ("2026-06-01T00:00:00+07:00", 7),
        ];
        let labels = time_labels(&render_svg(&year, &[series("IDR gross", "IDR", &monthly)]));
        assert!((4..=8).contains(&labels.len()), "{labels:?}");
        assert_eq!(labels[0], "2026-01");
        assert!(labels.iter().all(|l| l.len() == 7), "{labels:?}");
    }

    #[test]
    fn labels_local_midnights_across_a_daylight_saving_change() {
        // Europe/Berlin: +01:00 before 2026-03-29, +02:00 after.
        let spring = meta("2026-03-26T00:00:00+01:00", "2026-04-02T00:00:00+02:00");
        let days = [
            ("2026-03-26T00:00:00+01:00", 1),
            ("2026-03-28T00:00:00+01:00", 2),
            ("2026-03-30T00:00:00+02:00", 3),
            ("2026-04-01T00:00:00+02:00", 4),
        ];
        let svg = render_svg(&spring, &[series("EUR gross", "EUR", &days)]);
        let labels = time_labels(&svg);
        assert!(labels.contains(&"03-26".to_owned()) && labels.contains(&"04-01".to_owned()));
        assert!(labels.iter().all(|l| l.len() == 5), "{labels:?}");
    }

    #[test]
    fn handles_degenerate_ranges() {
        let instant = "2026-11-01T00:00:00+07:00";
        let cases = [
            (
                meta(instant, instant),
                vec![series("IDR gross", "IDR", &[(instant, 1_000)])],
            ),
            (
                meta(instant, instant),
                vec![series("IDR gross", "IDR", &[(instant, 0)])],
            ),
            (meta(instant, instant), vec![]),
            (
                november(),
                vec![series("IDR gross", "IDR", &[(instant, 5)])],
            ),
            (november(), vec![week_of("IDR gross", "IDR", [0; 7])]),
            (november(), vec![week_of("XYZ gross", "XYZ", [3; 7])]),
            (
                november(),
                vec![week_of(
                    "IDR gross",
                    "IDR",
                    [i64::MAX, i64::MIN, i64::MAX, 0, 1, -1, i64::MAX],
                )],
            ),
            (november(), vec![week_of("JPY gross", "JPY", [i64::MAX; 7])]),
            (november(), vec![week_of("JPY net", "JPY", [i64::MIN; 7])]),
            (
                meta("2026-11-08T00:00:00+07:00", "2026-11-01T00:00:00+07:00"),
                vec![week_of("IDR gross", "IDR", [1; 7])],
            ),
            (
                meta("1900-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"),
                vec![week_of("IDR gross", "IDR", [1; 7])],
            ),
            (
                meta("2026-11-01T00:00:00+07:00", "2026-11-01T00:15:00+07:00"),
                vec![series("IDR gross", "IDR", &[(instant, 7)])],
            ),
        ];
        for (chart, given) in cases {
            let svg = render_svg(&chart, &given);
            for bad in ["NaN", "inf", "-0 ", "-0\""] {
                assert!(!svg.contains(bad), "{bad} in {svg}");
            }
            assert_well_formed(&svg);
            let has_points = given.iter().any(|s| !s.points.is_empty());
            if has_points {
                let ticks = value_labels(&svg).len();
                assert!((4..=6).contains(&ticks), "{:?}", value_labels(&svg));
            }
            if given.len() == 1 && given[0].points.len() == 1 {
                assert_eq!(svg.matches("<circle").count(), 1);
                assert_eq!(svg.matches("<polyline").count(), 0);
            }
        }
    }

    #[test]
    fn is_deterministic() {
        let chart = november();
        let given = [
            week_of("IDR gross", "IDR", [5, 6, 7, 8, 9, 10, 11]),
            week_of("JPY net", "JPY", [5, -6, 7, -8, 9, -10, 11]),
        ];
        let first = render_svg(&chart, &given);
        assert_eq!(first, render_svg(&chart, &given));
        assert_eq!(first, render_svg(&chart.clone(), &given.clone()));
    }

    #[test]
    fn wraps_long_legend_labels_at_the_group_separator() {
        assert_eq!(
            wrap("IDR gross · show 3f9a1c02 · web", 22, 3),
            ["IDR gross", "· show 3f9a1c02 · web"]
        );
        assert_eq!(wrap("IDR net", 22, 3), ["IDR net"]);
        assert_eq!(wrap("", 22, 3), [""]);
        let long = wrap(
            "a · b · c · d · e · f · g · h · i · j · k · l · m · n · o",
            10,
            3,
        );
        assert_eq!(long.len(), 3);
        assert!(long[2].ends_with('…') && long.iter().all(|l| l.chars().count() <= 10));
        let word = wrap("Supercalifragilisticexpialidocious", 10, 3);
        assert_eq!(word, ["Supercali…"]);
    }

    #[test]
    fn dashes_net_lines_only() {
        assert!(is_net("IDR net"));
        assert!(is_net("IDR net · VIP"));
        assert!(is_net("Net"));
        assert!(!is_net("IDR gross · internet"));
        assert!(!is_net("IDR gross"));
    }

    #[test]
    fn writes_tick_values_exactly_with_thousands_separators() {
        assert_eq!(decimal(15, 5), "1,500,000");
        assert_eq!(decimal(-2, 3), "-2,000");
        assert_eq!(decimal(25, -2), "0.25");
        assert_eq!(decimal(5, -3), "0.005");
        assert_eq!(decimal(0, 7), "0");
        assert_eq!(decimal(1234, -1), "123.4");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(12.34), "12.3");
    }
}
