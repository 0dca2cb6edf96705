//! Prometheus metrics: a small process-wide registry of counters and
//! histograms with labels, rendered in the text exposition format at
//! `GET /metrics` (protected by `METRICS_TOKEN` when it is set).
//!
//! Every request is counted and timed by route template and status (the
//! [`track_requests`] middleware of the standard layers). Services add their
//! own counters (ingest outcomes, load shedding...) and gauges read at scrape
//! time (pool connections, the oldest pending refund).
//!
//! Hand-rolled rather than a metrics crate: a few dozen lines cover what the
//! services need, and the build stays small.

use std::{
    collections::BTreeMap,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, request::Parts, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::{http::extract::bearer, tokens::TokenSet, Problem};

/// Latency buckets, in seconds.
const SECONDS_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Size buckets (events per batch).
pub const SIZE_BUCKETS: [f64; 9] = [1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0];

type Labels = Vec<(&'static str, String)>;

#[derive(Debug, Default)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Debug)]
struct Family {
    help: &'static str,
    kind: &'static str,
    counters: BTreeMap<Labels, f64>,
    histograms: BTreeMap<Labels, Histogram>,
}

#[derive(Debug, Default)]
struct Registry {
    families: BTreeMap<&'static str, Family>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with_family(
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    f: impl FnOnce(&mut Family),
) {
    let mut registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    let family = registry.families.entry(name).or_insert_with(|| Family {
        help,
        kind,
        counters: BTreeMap::new(),
        histograms: BTreeMap::new(),
    });
    f(family);
}

fn owned(labels: &[(&'static str, &str)]) -> Labels {
    labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// Adds `by` to a counter.
pub fn count(name: &'static str, help: &'static str, labels: &[(&'static str, &str)], by: u64) {
    with_family(name, help, "counter", |f| {
        *f.counters.entry(owned(labels)).or_default() += by as f64;
    });
}

/// Records one observation of a histogram with the given bucket bounds.
pub fn observe(
    name: &'static str,
    help: &'static str,
    labels: &[(&'static str, &str)],
    bounds: &'static [f64],
    value: f64,
) {
    with_family(name, help, "histogram", |f| {
        let h = f
            .histograms
            .entry(owned(labels))
            .or_insert_with(|| Histogram {
                bounds,
                counts: vec![0; bounds.len()],
                ..Histogram::default()
            });
        for (bound, count) in h.bounds.iter().zip(h.counts.iter_mut()) {
            if value <= *bound {
                *count += 1;
            }
        }
        h.sum += value;
        h.count += 1;
    });
}

/// Records a duration in seconds.
pub fn observe_seconds(
    name: &'static str,
    help: &'static str,
    labels: &[(&'static str, &str)],
    started: Instant,
) {
    observe(
        name,
        help,
        labels,
        &SECONDS_BUCKETS,
        started.elapsed().as_secs_f64(),
    );
}

/// Tasks currently waiting for a database connection, per pool name.
pub fn pool_waiting() -> &'static AtomicI64 {
    static WAITING: AtomicI64 = AtomicI64::new(0);
    &WAITING
}

/// Runs `acquire` (a pool checkout) counted as waiting while it is pending.
pub async fn waiting_for_connection<T>(acquire: impl Future<Output = T>) -> T {
    pool_waiting().fetch_add(1, Ordering::Relaxed);
    let result = acquire.await;
    pool_waiting().fetch_sub(1, Ordering::Relaxed);
    result
}

/// A gauge read at scrape time.
#[derive(Debug, Clone)]
pub struct GaugeSample {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// What a service adds at scrape time.
pub type Gauges =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<GaugeSample>> + Send>> + Send + Sync>;

/// The pool gauges of one pool.
pub fn pool_gauges(pool: &sqlx::PgPool, name: &str) -> Vec<GaugeSample> {
    let size = f64::from(pool.size());
    let idle = pool.num_idle() as f64;
    let labels = |state: &str| vec![("pool", name.to_owned()), ("state", state.to_owned())];
    vec![
        GaugeSample {
            name: "db_pool_connections",
            help: "Database connections by state (in_use, idle, waiting: tasks waiting for one).",
            labels: labels("in_use"),
            value: size - idle,
        },
        GaugeSample {
            name: "db_pool_connections",
            help: "",
            labels: labels("idle"),
            value: idle,
        },
        GaugeSample {
            name: "db_pool_connections",
            help: "",
            labels: labels("waiting"),
            value: pool_waiting().load(Ordering::Relaxed) as f64,
        },
    ]
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_text(labels: &[(&'static str, String)], extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// The registry and `gauges` in the Prometheus text format.
pub fn render(gauges: &[GaugeSample]) -> String {
    let mut out = String::new();
    let registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    for (name, family) in &registry.families {
        out.push_str(&format!(
            "# HELP {name} {}\n# TYPE {name} {}\n",
            family.help, family.kind
        ));
        for (labels, value) in &family.counters {
            out.push_str(&format!("{name}{} {value}\n", label_text(labels, None)));
        }
        for (labels, h) in &family.histograms {
            for (bound, count) in h.bounds.iter().zip(&h.counts) {
                out.push_str(&format!(
                    "{name}_bucket{} {count}\n",
                    label_text(labels, Some(("le", bound.to_string())))
                ));
            }
            out.push_str(&format!(
                "{name}_bucket{} {}\n",
                label_text(labels, Some(("le", "+Inf".into()))),
                h.count
            ));
            out.push_str(&format!(
                "{name}_sum{} {}\n",
                label_text(labels, None),
                h.sum
            ));
            out.push_str(&format!(
                "{name}_count{} {}\n",
                label_text(labels, None),
                h.count
            ));
        }
    }
    drop(registry);
    let mut seen: Vec<&str> = Vec::new();
    for gauge in gauges {
        if !seen.contains(&gauge.name) {
            seen.push(gauge.name);
            let help = gauges
                .iter()
                .find(|g| g.name == gauge.name && !g.help.is_empty())
                .map_or("", |g| g.help);
            out.push_str(&format!(
                "# HELP {} {help}\n# TYPE {} gauge\n",
                gauge.name, gauge.name
            ));
        }
        out.push_str(&format!(
            "{}{} {}\n",
            gauge.name,
            label_text(&gauge.labels, None),
            gauge.value
        ));
    }
    out
}

/// Counts and times every request by method, route template and status.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.as_str()),
        ("route", route.as_str()),
        ("status", status.as_str()),
    ];
    count(
        "http_requests_total",
        "HTTP requests by method, route and status.",
        &labels,
        1,
    );
    observe_seconds(
        "http_request_duration_seconds",
        "HTTP request latency by method, route and status.",
        &labels,
        started,
    );
    response
}

#[derive(Clone)]
struct Endpoint {
    token: Option<TokenSet>,
    gauges: Gauges,
}

/// `GET /metrics`, behind `token` when it is set.
pub fn routes(token: Option<TokenSet>, gauges: Gauges) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Endpoint { token, gauges })
}

fn authorised(parts: &Parts, token: Option<&TokenSet>) -> bool {
    token.is_none_or(|tokens| bearer(parts).is_some_and(|t| tokens.contains(t)))
}

async fn scrape(State(endpoint): State<Endpoint>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !authorised(&parts, endpoint.token.as_ref()) {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send METRICS_TOKEN as `Authorization: Bearer ...`.",
        )
        .into_response();
    }
    let gauges = (endpoint.gauges)().await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&gauges),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_text_format() {
        count("test_things_total", "Things.", &[("kind", "a\"b")], 2);
        observe("test_size", "Sizes.", &[], &SIZE_BUCKETS, 42.0);
        let text = render(&[GaugeSample {
            name: "test_gauge",
            help: "A gauge.",
            labels: vec![],
            value: 1.5,
        }]);
        assert!(
            text.contains(
                "# TYPE test_things_total counter\ntest_things_total{kind=\"a\\\"b\"} 2\n"
            ),
            "{text}"
        );
        assert!(text.contains("test_size_bucket{le=\"10\"} 0\n"), "{text}");
        assert!(text.contains("test_size_bucket{le=\"50\"} 1\n"), "{text}");
        assert!(
            text.contains("test_size_bucket{le=\"+Inf\"} 1\ntest_size_sum 42\ntest_size_count 1\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE test_gauge gauge\ntest_gauge 1.5\n"),
            "{text}"
        );
    }
}
