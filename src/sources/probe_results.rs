//! Probe results in a bundle: `probes/results.json` holds the `ProbeResults` of an earlier probe
//! phase (as `windoctor capture --probe` would write it, or written by hand), so an offline run, and
//! the catalogue's examples, can judge probe outcomes without sending anything.

use crate::facts::probes::{ProbeFacts, ProbeResults, BUNDLE_FILE, NOT_REQUESTED};
use crate::facts::Input;
use crate::sources::files::FileStore;

/// Reads `probes/results.json` when the bundle has it; otherwise probes count as not requested.
pub fn read_from_bundle(store: &dyn FileStore) -> ProbeFacts {
    let results = match store.read(BUNDLE_FILE) {
        Ok(None) => {
            return ProbeFacts {
                requested: false,
                results: Input::Missing(format!(
                    "{NOT_REQUESTED} (this bundle has no {BUNDLE_FILE})"
                )),
            }
        }
        Err(e) => Input::Failed(e),
        Ok(Some(bytes)) => {
            let text = crate::sources::text::decode(&bytes);
            match serde_json::from_str::<ProbeResults>(&text) {
                Ok(r) => Input::Ready(r),
                Err(e) => Input::Failed(format!("{BUNDLE_FILE} is not valid probe results: {e}")),
            }
        }
    };
    ProbeFacts {
        requested: true,
        results,
    }
}

/// The JSON a bundle stores for `results`.
pub fn to_bundle_json(results: &ProbeResults) -> String {
    serde_json::to_string_pretty(results).unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::files::MemoryStore;

    #[test]
    fn bundle_results_are_read_missing_or_failed() {
        let empty = MemoryStore::default();
        let p = read_from_bundle(&empty);
        assert!(matches!(&p.results, Input::Missing(m) if m.contains("--probe")));

        let mut m = MemoryStore::default();
        m.files.insert(
            "probes/Results.json".into(),
            br#"{"cluster_ip":{"not_run":"not a node"}}"#.to_vec(),
        );
        let p = read_from_bundle(&m);
        let r = p.results.ready().expect("ready");
        assert_eq!(r.cluster_ip.not_run.as_deref(), Some("not a node"));
        assert!(p.requested);

        m.files
            .insert("probes/Results.json".into(), b"{ nope".to_vec());
        assert!(
            matches!(read_from_bundle(&m).results, Input::Failed(e) if e.contains("probes/results.json"))
        );
    }
}
