//! multirootca's `/metrics`: its three request counters in the Prometheus text format
//! (version 0.0.4), under cfssl's metric and label names so existing dashboards and
//! alerts keep working.
//!
//! Three counter families are all there is, so the exposition is written here rather
//! than through a metrics registry crate.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The one operation multirootca counts.
pub const SIGN: &str = "sign";

#[derive(Default)]
pub struct Metrics {
    /// `requests_total{operation, signer}`: requests for a label that exists.
    requests: Mutex<BTreeMap<(String, String), u64>>,
    /// `requests_errored_total{operation, signer}`: signing failed.
    errored: Mutex<BTreeMap<(String, String), u64>>,
    /// `bad_inputs_total{operation}`: every refused request.
    bad_inputs: Mutex<BTreeMap<String, u64>>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    *map.entry(key).or_insert(0) += 1;
}

/// A label value as the text format escapes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A counter as Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints it, which is what
/// Prometheus' Go client writes: plain up to 999999, then `1.234567e+06`.
fn go_float(v: u64) -> String {
    if v < 1_000_000 {
        return v.to_string();
    }
    let s = format!("{:e}", v as f64);
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{mantissa}e+{exp:0>2}"),
        None => s,
    }
}

fn family(out: &mut String, name: &str, help: &str, series: Vec<(String, u64)>) {
    if series.is_empty() {
        return;
    }
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
    for (labels, value) in series {
        out.push_str(&format!("{name}{{{labels}}} {}\n", go_float(value)));
    }
}

impl Metrics {
    pub fn request(&self, operation: &str, signer: &str) {
        bump(&self.requests, (operation.into(), signer.into()));
    }

    pub fn errored(&self, operation: &str, signer: &str) {
        bump(&self.errored, (operation.into(), signer.into()));
    }

    pub fn bad_input(&self, operation: &str) {
        bump(&self.bad_inputs, operation.into());
    }

    /// The exposition: families by name, series by label values (the Go client's
    /// order); a family with no series yet is left out, as the Go client does.
    pub fn render(&self) -> String {
        let pairs = |m: &Mutex<BTreeMap<(String, String), u64>>| {
            let m = m.lock().unwrap_or_else(|e| e.into_inner());
            m.iter()
                .map(|((op, signer), v)| {
                    let labels =
                        format!("operation=\"{}\",signer=\"{}\"", escape(op), escape(signer));
                    (labels, *v)
                })
                .collect::<Vec<_>>()
        };
        let bad: Vec<_> = {
            let m = self.bad_inputs.lock().unwrap_or_else(|e| e.into_inner());
            m.iter()
                .map(|(op, v)| (format!("operation=\"{}\"", escape(op)), *v))
                .collect()
        };
        let mut out = String::new();
        family(
            &mut out,
            "bad_inputs_total",
            "Requests refused because their input was malformed or not allowed.",
            bad,
        );
        family(
            &mut out,
            "requests_errored_total",
            "Requests, by operation and signer, that failed while being processed.",
            pairs(&self.errored),
        );
        family(
            &mut out,
            "requests_total",
            "Requests, by operation and signer, accepted for processing.",
            pairs(&self.requests),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_as_the_go_client_writes_it() {
        let m = Metrics::default();
        assert_eq!(m.render(), "");
        m.request(SIGN, "main");
        m.request(SIGN, "alt");
        m.request(SIGN, "main");
        m.bad_input(SIGN);
        let text = m.render();
        assert!(text.starts_with("# HELP bad_inputs_total "));
        assert!(text
            .contains("# TYPE bad_inputs_total counter\nbad_inputs_total{operation=\"sign\"} 1\n"));
        assert!(text.contains(
            "requests_total{operation=\"sign\",signer=\"alt\"} 1\nrequests_total{operation=\"sign\",signer=\"main\"} 2\n"
        ));
        assert!(!text.contains("requests_errored_total"));
    }

    #[test]
    fn large_counts_in_go_notation() {
        assert_eq!(go_float(999_999), "999999");
        assert_eq!(go_float(1_000_000), "1e+06");
        assert_eq!(go_float(1_234_567), "1.234567e+06");
    }
}
