//! Redaction of text: the last gate before anything is printed or written. Facts already leave out Secret
//! data, environment values and most annotations; this pass scrubs what could still slip into free
//! text (event messages, log lines, command lines, file excerpts): bearer tokens, JWTs, PEM blocks,
//! kubeconfig credential fields, `password=`-style pairs and credentials in URLs.

use regex::Regex;
use std::sync::OnceLock;

pub const REDACTED: &str = "<redacted>";

fn rules() -> &'static [(Regex, &'static str)] {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RULES.get_or_init(|| {
        let raw: [(&str, &str); 7] = [
            (r"(?s)-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", "<redacted PEM block>"),
            (r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", "$1 <redacted>"),
            (r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "<redacted JWT>"),
            (
                r#"(?i)((?:client-key-data|client-certificate-data|certificate-authority-data|token|id-token|refresh-token)["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=._-]{8,}"#,
                "${1}<redacted>",
            ),
            (
                r#"(?i)((?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|token)["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
                "${1}<redacted>",
            ),
            (r"(?i)(--(?:token|password|bootstrap-token)[= ])\S+", "${1}<redacted>"),
            (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", "${1}<redacted>@"),
        ];
        raw.iter().filter_map(|(re, with)| Regex::new(re).ok().map(|r| (r, *with))).collect()
    })
}

/// Returns `text` with secrets replaced.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for (re, with) in rules() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *with).into_owned();
        }
    }
    out
}

/// Redacts every string of a finding, for front-ends that show findings themselves (the TUI).
pub fn redact_finding(f: &mut crate::findings::Finding) {
    f.message = redact(&f.message);
    for e in &mut f.evidence {
        e.reference = redact(&e.reference);
        e.excerpt = redact(&e.excerpt);
    }
    if let Some(fix) = &mut f.fix {
        fix.text = redact(&fix.text);
        for c in &mut fix.commands {
            *c = redact(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_common_secret_shapes() {
        let cases = [
            (
                "Authorization: Bearer abcdefghijklmnop123",
                "abcdefghijklmnop123",
            ),
            (
                "token: eyJhbGciOiJSUzI1NiIs.eyJpc3MiOiJrdWJlcm5ldGVz.c2lnbmF0dXJlc2ln",
                "eyJhbGciOiJSUzI1NiIs",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                "MIIB",
            ),
            (
                "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk=",
                "LS0tLS1CRUdJTi",
            ),
            ("password=hunter2-demo-secret", "hunter2"),
            ("\"password\": \"hunter2\"", "hunter2"),
            ("https://admin:s3cr3t@proxy.example.com:3128", "s3cr3t"),
            (
                "kubelet.exe --bootstrap-token=abcdef.0123456789abcdef",
                "0123456789abcdef",
            ),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains("<redacted"), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let s = "kubelet.exe --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6 --cluster-dns=10.96.0.10";
        assert_eq!(redact(s), s);
        assert_eq!(
            redact("http://proxy.example.com:3128"),
            "http://proxy.example.com:3128"
        );
    }
}
