//! The report's JSON body written directly from its rows: the same bytes
//! as serialising [`RowJson`](super::RowJson)s with serde (a test keeps the
//! two equal), at a fraction of the cost for a large report (an hourly
//! report by ticket type has thousands of rows). Rows come sorted by
//! bucket, so a bucket's text is formatted once, and identifiers are
//! encoded without allocation.

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::ReportRow;

/// `{"rows":[...],"totals":[...]}`.
pub fn report_body(rows: &[ReportRow], totals: &[ReportRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + (rows.len() + totals.len()) * 260);
    let mut writer = Rows::start(&mut out);
    writer.write(&mut out, rows);
    writer.finish(&mut out, totals);
    out
}

/// The body written in pieces: [`Rows::start`], rows as they come
/// ([`Rows::write`], in order, into one buffer or several), then
/// [`Rows::finish`] with the totals. The pieces joined are
/// [`report_body`]'s bytes.
#[derive(Debug)]
pub struct Rows {
    /// The bucket last written and its text.
    bucket: Option<(DateTime<FixedOffset>, String)>,
    line: Line,
    first: bool,
}

impl Rows {
    /// Writes `{"rows":[`.
    pub fn start(out: &mut Vec<u8>) -> Self {
        out.extend_from_slice(b"{\"rows\":[");
        Self {
            bucket: None,
            line: Line::new(),
            first: true,
        }
    }

    /// Writes `rows`, after those written before.
    pub fn write(&mut self, out: &mut Vec<u8>, rows: &[ReportRow]) {
        for r in rows {
            let local = r.local_bucket();
            if let Some(local) = local {
                if self
                    .bucket
                    .as_ref()
                    .is_none_or(|(at, _)| *at != local || at.offset() != local.offset())
                {
                    self.bucket = Some((local, local.to_rfc3339_opts(SecondsFormat::Secs, false)));
                }
            }
            let bucket_text = local
                .and(self.bucket.as_ref())
                .map(|(_, text)| text.as_str());
            if !std::mem::take(&mut self.first) {
                out.push(b',');
            }
            // Most rows are written whole into a buffer on the stack, one
            // copy into `out`; one whose text would not fit is written
            // piecewise.
            if self.line.fits(r, bucket_text) {
                self.line.clear();
                write_row(&mut self.line, r, bucket_text);
                out.extend_from_slice(self.line.as_bytes());
            } else {
                write_row(out, r, bucket_text);
            }
        }
    }

    /// Writes `],"totals":[...]}`.
    pub fn finish(self, out: &mut Vec<u8>, totals: &[ReportRow]) {
        out.extend_from_slice(b"],\"totals\":[");
        let mut totals_writer = Self {
            first: true,
            ..self
        };
        totals_writer.write(out, totals);
        out.extend_from_slice(b"]}");
    }
}

/// Where a row's text goes.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
    /// A number in decimal.
    fn number(&mut self, n: i64) {
        self.put(itoa::Buffer::new().format(n).as_bytes());
    }
    /// A JSON string: letters, digits and `_` copied as is, anything else
    /// escaped by serde.
    fn string(&mut self, s: &str);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn string(&mut self, s: &str) {
        string(self, s);
    }
}

/// A row's text on the stack.
struct Line {
    buf: [u8; Line::CAPACITY],
    len: usize,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line").field("len", &self.len).finish()
    }
}

impl Line {
    const CAPACITY: usize = 640;
    /// Longest bucket text or channel written here (a longer one, or a
    /// channel that needs escaping, goes the piecewise way).
    const MAX_TEXT: usize = 64;

    fn new() -> Self {
        Self {
            buf: [0; Self::CAPACITY],
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Whether `r` surely fits: its texts are short and need no escaping
    /// (the rest is at most 64 + 2 UUIDs + 6 numbers with their names,
    /// under 400 bytes).
    fn fits(&self, r: &ReportRow, bucket: Option<&str>) -> bool {
        let plain = |s: &str| s.len() <= Self::MAX_TEXT && is_plain(s);
        bucket.is_none_or(|b| b.len() <= Self::MAX_TEXT) && r.channel.as_deref().is_none_or(plain)
    }
}

impl Sink for Line {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Digits written in place (a report row has six numbers, most of
    /// them short: copying each from a formatting buffer was a `memcpy`
    /// call apiece).
    #[inline]
    fn number(&mut self, n: i64) {
        if n < 0 {
            self.put(b"-");
        }
        let mut v = n.unsigned_abs();
        let digits = v.checked_ilog10().unwrap_or(0) as usize + 1;
        let end = self.len + digits;
        for slot in self.buf[self.len..end].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.len = end;
    }

    fn string(&mut self, s: &str) {
        // `fits` let only plain text through.
        self.put(b"\"");
        self.put(s.as_bytes());
        self.put(b"\"");
    }
}

/// One row object: keys in the order of [`RowJson`](super::RowJson), the
/// ones not asked for absent.
#[inline]
fn write_row<S: Sink>(out: &mut S, r: &ReportRow, bucket: Option<&str>) {
    let mut sep = b"{\"" as &[u8];
    let mut key = |out: &mut S, name: &[u8]| {
        out.put(sep);
        sep = b",\"";
        out.put(name);
    };
    if let Some(text) = bucket {
        key(out, b"bucket_start\":\"");
        out.put(text.as_bytes());
        out.put(b"\"");
    }
    let mut uuid_buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    if let Some(show) = r.show_id {
        key(out, b"show_id\":\"");
        show.hyphenated().encode_lower(&mut uuid_buf);
        out.put(&uuid_buf);
        out.put(b"\"");
    }
    if let Some(tt) = r.ticket_type_id {
        key(out, b"ticket_type_id\":\"");
        tt.hyphenated().encode_lower(&mut uuid_buf);
        out.put(&uuid_buf);
        out.put(b"\"");
    }
    if let Some(channel) = &r.channel {
        key(out, b"channel\":");
        out.string(channel);
    }
    key(out, b"currency\":");
    out.string(r.currency.as_str());
    out.put(b",\"paid_orders\":");
    out.number(r.paid_orders);
    out.put(b",\"tickets_sold\":");
    out.number(r.tickets_sold);
    out.put(b",\"gross_minor\":");
    out.number(r.gross_minor);
    out.put(b",\"refunded_tickets\":");
    out.number(r.refunded_tickets);
    out.put(b",\"refunded_minor\":");
    out.number(r.refunded_minor);
    out.put(b",\"net_minor\":");
    out.number(r.net_minor());
    out.put(b"}");
}

fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A JSON string of text that needs no escaping (an RFC 3339 instant, a
/// UUID).
fn plain(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn string(out: &mut Vec<u8>, s: &str) {
    if is_plain(s) {
        plain(out, s);
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing to a Vec cannot fail; keep the document valid anyway.
        out.extend_from_slice(b"\"\"");
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::report::RowJson;

    fn row(hour: u32, offset_s: i32, channel: Option<&str>, currency: &str) -> ReportRow {
        ReportRow {
            bucket_start: (hour < 24)
                .then(|| Utc.with_ymd_and_hms(2026, 3, 29, hour, 0, 0).unwrap()),
            utc_offset_s: Some(offset_s),
            show_id: (hour % 2 == 0)
                .then(|| Uuid::from_u128(0xABCD_EF01_u128 << 64 | hour as u128)),
            ticket_type_id: Some(Uuid::from_u128(hour as u128 * 7919)),
            channel: channel.map(str::to_owned),
            currency: crate::report::CurrencyCode::new(currency).unwrap(),
            paid_orders: hour as i64,
            tickets_sold: -3,
            gross_minor: i64::MAX,
            refunded_tickets: 0,
            refunded_minor: i64::MAX,
        }
    }

    #[test]
    fn numbers_are_written_as_itoa_writes_them() {
        let mut values = vec![0, i64::MIN, i64::MAX, i64::MIN + 1];
        let mut power = 1i64;
        for _ in 0..18 {
            power *= 10;
            values.extend([power - 1, power, power + 1, -(power - 1), -power]);
        }
        for n in values {
            let mut line = Line::new();
            line.number(n);
            assert_eq!(line.as_bytes(), n.to_string().as_bytes(), "{n}");
        }
    }

    #[test]
    fn writes_what_serde_writes() {
        let rows = vec![
            row(0, 3600, None, "EUR"),
            row(0, 3600, Some("web"), "EUR"),
            // Daylight saving starts: a new offset for the next bucket.
            row(1, 7200, Some("we\"b\u{1}\\ü"), "EUR"),
            row(2, 7200, None, "IDR"),
            // Plain texts at and past the longest written on the stack.
            row(2, 7200, Some(&"c".repeat(64)), "USD"),
            row(2, 7200, Some(&"c".repeat(65)), "USD"),
            row(24, 0, None, "IDR"),
        ];
        let totals = vec![row(24, 0, None, "EUR")];
        #[derive(serde::Serialize)]
        struct Body {
            rows: Vec<RowJson>,
            totals: Vec<RowJson>,
        }
        let expected = serde_json::to_vec(&Body {
            rows: rows.iter().map(RowJson::from).collect(),
            totals: totals.iter().map(RowJson::from).collect(),
        })
        .unwrap();
        let written = report_body(&rows, &totals);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert_eq!(report_body(&[], &[]), br#"{"rows":[],"totals":[]}"#);

        // Written in pieces (as streamed a day at a time), the same bytes.
        for split in 0..=rows.len() {
            let mut chunks = vec![Vec::new()];
            let mut writer = Rows::start(&mut chunks[0]);
            for part in [&rows[..split], &rows[split..]] {
                let mut chunk = Vec::new();
                writer.write(&mut chunk, part);
                chunks.push(chunk);
            }
            let mut last = Vec::new();
            writer.finish(&mut last, &totals);
            chunks.push(last);
            assert_eq!(
                chunks.concat(),
                report_body(&rows, &totals),
                "split at {split}"
            );
        }
    }
}
