//! Redaction of text: the last gate before anything is printed or written. Facts already leave out
//! Secret data, environment values and most annotations; this pass scrubs what could still slip into
//! free text (event messages, log lines, command lines, file excerpts, error messages) and into the
//! JSON a capture writes: bearer/basic/token `Authorization` headers, cookies, JWTs, PEM blocks,
//! kubeconfig credential fields, `password=`/`token:`-style pairs (also JSON-escaped, as in a Debug
//! print), registry credentials in containerd's and Docker's configuration (`auth`, `password`,
//! `identitytoken`), secret-bearing command-line flags (`--token X`, `-Password X`),
//! `ConvertTo-SecureString "X"`, `curl -u user:pass`, and credentials in URLs (`scheme://user:pass@`).
//!
//! [`redact`] works on text; [`redact_json`] on a JSON value (each string, plus the value after a
//! secret flag in an argument array and the value of a secret-named key or environment entry).

use regex::{Captures, Regex};
use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::{Input, MatchKind};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Mutex, OnceLock};

pub const REDACTED: &str = "<redacted>";

/// Key names whose value is a credential (`key: value`, `key=value`, `"key": "value"`).
const SECRET_KEYS: &str = "client-key-data|client-certificate-data|certificate-authority-data|id-token|refresh-token|access-token|identitytoken|identity_token|registrytoken|registry_token|token|password|passwd|pwd|secret|client-secret|api[_-]?key|access[_-]?key|private[_-]?key|auth";

/// Parts of flag names that mark the flag's value as a credential.
const SECRET_FLAG_WORDS: [&str; 9] = [
    "token",
    "password",
    "passwd",
    "secret",
    "apikey",
    "api-key",
    "api_key",
    "credential",
    "securestring",
];

/// Flag name endings that name where a credential is, not the credential (`--token-file`; the
/// kubelet's `--image-credential-provider-config`, the path of the credential provider plugins'
/// configuration file: kubernetes/website
/// content/en/docs/tasks/kubelet-credential-provider/kubelet-credential-provider.md).
const NOT_SECRET_FLAG_ENDINGS: [&str; 8] = [
    "file", "path", "dir", "config", "ttl", "hash", "name", "mode",
];

/// A value that is `true` or `false` (quoted or not): the setting of a switch whose name holds a
/// secret word (the kubelet's `--anonymous-auth=false`, `--authentication-token-webhook=true`), never
/// a credential. Left as it is, so that a command line stays one an operator can run.
fn is_boolean(value: &str) -> bool {
    let bare = value.trim_start_matches(['"', '\'', '\\']);
    // The word itself, without what closes it (a quote, or `}` of a JSON object).
    let word = bare
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    let closing = &bare[word.len()..];
    (word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false"))
        && closing.chars().all(|c| "\"'\\}])".contains(c))
}

/// Whether a command-line flag (`--token`, `-Password`, `--bootstrap-token`) carries a credential
/// as its value.
pub fn is_secret_flag(flag: &str) -> bool {
    if !flag.starts_with('-') {
        return false;
    }
    let name = flag.trim_start_matches('-');
    !name.is_empty()
        && SECRET_FLAG_WORDS
            .iter()
            .any(|w| contains_folded(name, w, false))
        && !NOT_SECRET_FLAG_ENDINGS
            .iter()
            .any(|e| ends_with_folded(name, e, false))
}

/// `byte` compared as the key checks compare: ASCII case folded, and `-` as `_` when `dash` is set.
fn fold(byte: u8, dash: bool) -> u8 {
    if dash && byte == b'-' {
        b'_'
    } else {
        byte.to_ascii_lowercase()
    }
}

/// Whether `text` contains the lowercase `word`, ignoring ASCII case (and `-`/`_`, with `dash`),
/// without allocating: every string of a capture passes here.
fn contains_folded(text: &str, word: &str, dash: bool) -> bool {
    let word = word.as_bytes();
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.iter().zip(word).all(|(&a, &b)| fold(a, dash) == b))
}

/// Whether `text` ends with the lowercase `word`, as [`contains_folded`] compares.
fn ends_with_folded(text: &str, word: &str, dash: bool) -> bool {
    let (text, word) = (text.as_bytes(), word.as_bytes());
    text.len() >= word.len()
        && text[text.len() - word.len()..]
            .iter()
            .zip(word)
            .all(|(&a, &b)| fold(a, dash) == b)
}

/// Whether a key (an environment variable, a JSON/TOML key) names a credential.
pub fn is_secret_key(key: &str) -> bool {
    // Every secret word holds one of these letter pairs (a test keeps it so): most keys have none
    // (`name`, `image`, `status`, `uid`, `nodeName`) and are answered without the search.
    if !holds_a_secret_key_pair(key.as_bytes()) || PLAIN_OBJECT_KEYS.contains(&key) {
        return false;
    }
    names_a_secret_by_search(key)
}

/// [`is_secret_key`]'s answer by the search of [`SECRET_KEY_WORDS`] alone.
fn names_a_secret_by_search(key: &str) -> bool {
    static WORDS: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        let words = SECRET_KEY_WORDS.iter().flat_map(|w| {
            // `-` and `_` are the same in a key: each word in both spellings.
            let dashed = w.replace('_', "-");
            std::iter::once(w.to_string()).chain((dashed != *w).then_some(dashed))
        });
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
    });
    let named = match words {
        Some(ac) => ac.is_match(key),
        None => SECRET_KEY_WORDS
            .iter()
            .any(|w| contains_folded(key, w, true)),
    };
    named
        && !NOT_SECRET_KEY_ENDINGS
            .iter()
            .any(|e| ends_with_folded(key, e, true))
}

/// Parts of key names that mark the value as a credential (`-` and `_` alike, any case).
const SECRET_KEY_WORDS: [&str; 14] = [
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "credential",
    "client_key_data",
    "identitytoken",
    "auth",
    "cookie",
    "authorization",
];

/// Member names of the Kubernetes objects a capture writes (pods above all) that hold one of the
/// letter pairs of [`holds_a_secret_key_pair`] and name no credential: answered without the
/// search (a test holds each to the search's answer).
const PLAIN_OBJECT_KEYS: [&str; 19] = [
    "namespace",
    "creationTimestamp",
    "phase",
    "protocol",
    "mountPath",
    "path",
    "terminationMessagePath",
    "serviceAccountName",
    "serviceAccount",
    "operator",
    "key",
    "containerID",
    "secretName",
    "controller-revision-hash",
    "configMapName",
    "subPath",
    "mountPropagation",
    "containerRuntimeVersion",
    "kernelVersion",
];

/// Whether `key` holds, in any case, one of the letter pairs of which every word of
/// [`SECRET_KEY_WORDS`] holds one: `pa` (password, passwd), `se` (secret), `to` (token,
/// identitytoken), `ke` (the `*_key` words), `cr` (credential), `au` (auth, authorization), `co`
/// (cookie). A capture asks [`is_secret_key`] of every member it writes; this answers most of them.
fn holds_a_secret_key_pair(key: &[u8]) -> bool {
    key.windows(2).any(|pair| {
        // `| 0x20` lower-cases an ASCII letter and makes no letter of anything else.
        matches!(
            (pair[0] | 0x20, pair[1] | 0x20),
            (b'p', b'a')
                | (b's', b'e')
                | (b't', b'o')
                | (b'k', b'e')
                | (b'c', b'r')
                | (b'a', b'u')
                | (b'c', b'o')
        )
    })
}

/// Key name endings that name where a credential is, or what it is, not the credential.
const NOT_SECRET_KEY_ENDINGS: [&str; 10] = [
    "file", "path", "dir", "ttl", "hash", "name", "mode", "ref", "seconds", "type",
];

/// How a rule rewrites one match.
type Rewrite = fn(&Captures) -> String;
type Rule = (Regex, Rewrite);

/// The rules, each run on its own on a string that the set of all of them ([`AnyRule`]) says one
/// of them may match (most strings hold no secret and are returned as they are).
#[derive(Clone)]
struct Rules {
    each: Vec<Rule>,
}

/// Runs `f` with this thread's copy of the rules. A copy shares the compiled rules but has its own
/// match caches: regex hands its cache without a lock only to the first thread that used the
/// regex, and a capture redacts on every worker thread. The rules run only on the few strings
/// the set says yes to.
fn with_rules<T>(f: impl FnOnce(&Rules) -> T) -> T {
    thread_local! {
        static LOCAL: Rules = shared_rules().clone();
    }
    LOCAL.with(f)
}

fn shared_rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules { each: rule_list() })
}

/// The set of every rule's pattern, asked about every string that [`may_hold_secret`]. It is
/// matched with caches of its own, lent to a thread on its first use and given back when the
/// thread ends: the helper threads a capture starts for each big page (`written_ahead`) then take
/// a cache another thread already filled, instead of building the set's automaton again (a fifth
/// of a second per full capture of 150,000 pods when each thread had its own copy).
struct AnyRule {
    set: meta::Regex,
    /// Caches given back by threads that ended (a few: one per thread running at once).
    warm: Mutex<Vec<meta::Cache>>,
}

/// Caches kept for the next threads, at most.
const WARM_CACHES: usize = 8;

fn any_rule() -> Option<&'static AnyRule> {
    static ANY: OnceLock<Option<AnyRule>> = OnceLock::new();
    ANY.get_or_init(|| {
        // In the set, `\b` is ASCII (`(?-u:\b)`): it holds wherever the Unicode one does before or
        // after the ASCII words the rules look for, so the set still says yes whenever a rule could
        // match, and the fast engine keeps running on text with non-ASCII characters (a Unicode
        // `\b` there sends the whole set to the slow one).
        let patterns: Vec<String> = shared_rules()
            .each
            .iter()
            .map(|(re, _)| re.as_str().replace(r"\b", r"(?-u:\b)"))
            .collect();
        let set = meta::Regex::builder()
            .configure(
                // Only each pattern's whole match: the rules' own groups are not asked for here,
                // and compiling them costs the set's caches memory on every thread.
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .which_captures(WhichCaptures::Implicit),
            )
            .build_many(&patterns)
            .ok()?;
        Some(AnyRule {
            set,
            warm: Mutex::new(Vec::new()),
        })
    })
    .as_ref()
}

/// This thread's cache for [`AnyRule`], given back to the warm ones when the thread ends.
struct LentCache(Option<meta::Cache>);

impl Drop for LentCache {
    fn drop(&mut self) {
        let (Some(cache), Some(any)) = (self.0.take(), any_rule()) else {
            return;
        };
        if let Ok(mut warm) = any.warm.lock() {
            if warm.len() < WARM_CACHES {
                warm.push(cache);
            }
        }
    }
}

/// Whether any rule may match `text`; `true` when the set could not be built (every rule then
/// runs).
fn any_rule_matches(text: &str) -> bool {
    thread_local! {
        static CACHE: RefCell<LentCache> = const { RefCell::new(LentCache(None)) };
    }
    let Some(any) = any_rule() else {
        return true;
    };
    let input = Input::new(text).earliest(true);
    let matched = CACHE.try_with(|lent| {
        let mut lent = lent.try_borrow_mut().ok()?;
        let cache = lent.0.get_or_insert_with(|| {
            any.warm
                .lock()
                .ok()
                .and_then(|mut warm| warm.pop())
                .unwrap_or_else(|| any.set.create_cache())
        });
        Some(any.set.search_half_with(cache, &input).is_some())
    });
    // While the thread ends (its cache already given back), or asked again from inside a match:
    // a cache for this question alone.
    matched
        .ok()
        .flatten()
        .unwrap_or_else(|| any.set.is_match(input))
}

fn rule_list() -> Vec<Rule> {
    let keep_prefix = |c: &Captures| format!("{}{REDACTED}", &c[1]);
    let raw: Vec<(String, Rewrite)> = vec![
        (
            r"(?s)-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----".into(),
            |_| "<redacted PEM block>".to_string(),
        ),
        (
            r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?".into(),
            |_| "<redacted JWT>".to_string(),
        ),
        // Authorization: Bearer|Basic|token|Digest|Negotiate X (any scheme, or none).
        (
            r#"(?i)(\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?[ \t]*(?:(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)[ \t]+)?)[^\s"'\\,;]+"#.into(),
            keep_prefix,
        ),
        (
            r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}".into(),
            keep_prefix,
        ),
        // Cookie: / Set-Cookie: everything to the end of the line (or string).
        (
            r#"(?i)(\b(?:set-)?cookie\\?["']?[ \t]*[:=][ \t]*)[^\r\n"'\\]+"#.into(),
            keep_prefix,
        ),
        // ConvertTo-SecureString "X" / -String 'X' / $plain
        (
            r#"(?i)(\bConvertTo-SecureString[ \t]+(?:-String[ \t]+)?)(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'|;)]+)"#.into(),
            keep_prefix,
        ),
        // curl -u user:pass, --user, --proxy-user
        (
            r#"(?i)((?:^|[\s"'])(?:-u|-U|--user|--proxy-user)(?:=|[ \t]+)["']?)[^\s"':]+:[^\s"']+"#.into(),
            keep_prefix,
        ),
        // key: value, key=value, "key": "value", \"key\": \"value\" (quotes kept).
        (
            format!(
                r#"(?i)((?:{SECRET_KEYS})\\?["']?[ \t]*[:=][ \t]*)(?:(\\?")[^"\\\r\n]*(\\?")|(')[^'\r\n]*(')|[^\s"'\\,;&<]+)"#
            ),
            |c: &Captures| {
                let group = |i: usize| c.get(i).map_or("", |m| m.as_str());
                if is_boolean(&c[0][group(1).len()..]) {
                    return c[0].to_string();
                }
                format!("{}{}{}{REDACTED}{}{}", group(1), group(2), group(4), group(3), group(5))
            },
        ),
        // A whole quoted argument that is a flag and its value ("--password=two words", as a
        // service's command line quotes a value with blanks): the value runs to the closing quote.
        (
            r#"(?:(")(--?[A-Za-z][A-Za-z0-9_-]*[=:])([^"\r\n]+)"|(')(--?[A-Za-z][A-Za-z0-9_-]*[=:])([^'\r\n]+)')"#.into(),
            |c: &Captures| {
                let group = |i: usize| c.get(i).map_or("", |m| m.as_str());
                let (quote, prefix) = match c.get(1) {
                    Some(q) => (q.as_str(), group(2)),
                    None => (group(4), group(5)),
                };
                let flag = prefix.trim_end_matches(['=', ':']);
                let value = c.get(3).or(c.get(6)).map_or("", |m| m.as_str());
                if is_secret_flag(flag) && !is_boolean(value) {
                    format!("{quote}{prefix}{REDACTED}{quote}")
                } else {
                    c[0].to_string()
                }
            },
        ),
        // Flags whose value is a credential: --token X, --token=X, -Password X, -Password:X.
        (
            r#"((?:^|[\s"'(\[,])--?[A-Za-z][A-Za-z0-9_-]*(?:=|:|[ \t]+))("[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;<-][^\s"',;]*)"#.into(),
            |c: &Captures| {
                let prefix = &c[1];
                let flag = prefix
                    .trim_start_matches(|ch: char| !ch.is_ascii() || "\t\n\r \"'([,".contains(ch))
                    .trim_end_matches(|ch: char| ch == '=' || ch == ':' || ch.is_whitespace());
                if is_secret_flag(flag) && !is_boolean(&c[2]) {
                    format!("{prefix}{REDACTED}")
                } else {
                    c[0].to_string()
                }
            },
        ),
        // Credentials in URLs: scheme://user:pass@host, scheme://token@host.
        (
            r#"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@"'<>]+@"#.into(),
            |c: &Captures| format!("{}{REDACTED}@", &c[1]),
        ),
    ];
    raw.into_iter()
        .filter_map(|(re, with)| Regex::new(&re).ok().map(|r| (r, with)))
        .collect()
}

/// Returns `text` with secrets replaced.
pub fn redact(text: &str) -> String {
    redact_cow(text).into_owned()
}

/// [`redact`], borrowing `text` when nothing in it is a secret.
pub fn redact_cow(text: &str) -> Cow<'_, str> {
    if !may_hold_secret(text) || !any_rule_matches(text) {
        return Cow::Borrowed(text);
    }
    with_rules(|rules| {
        let mut out = Cow::Borrowed(text);
        for (re, with) in &rules.each {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, |c: &Captures| with(c)).into_owned());
            }
        }
        out
    })
}

/// Whether a rule could match `text`, by a byte scan much cheaper than the rules (most strings of
/// a capture are names, labels and paths). Every rule needs one of these: a `:` or `=` after a
/// key, flag, header or URL scheme; a blank between a flag, scheme or `BEGIN` and what follows;
/// or a JWT's `eyJ`. Text with a non-ASCII byte goes to the rules, whose `\s` also matches
/// Unicode blanks. A test holds every rule to this. A string that is a timestamp and nothing else
/// (half the strings with a `:` in a pod: its creation, start and condition times) holds no key,
/// flag, scheme or blank, and is passed by first.
fn may_hold_secret(text: &str) -> bool {
    if is_timestamp(text.as_bytes()) {
        return false;
    }
    const TRIGGERS: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = b >= 0x80
                || matches!(
                    b as u8,
                    b':' | b'=' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
                );
            b += 1;
        }
        table
    };
    text.bytes().any(|b| TRIGGERS[usize::from(b)])
        || memchr::memmem::find(text.as_bytes(), b"eyJ").is_some()
}

/// Whether `text` is an RFC 3339 time as the API server writes them and nothing else:
/// `2026-11-11T23:36:36Z`, with optional fractional seconds and a `Z` or `+hh:mm`/`-hh:mm` offset.
fn is_timestamp(text: &[u8]) -> bool {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
    };
    let shape = |at: usize, byte: u8| text.get(at) == Some(&byte);
    if !(digits(0..4)
        && shape(4, b'-')
        && digits(5..7)
        && shape(7, b'-')
        && digits(8..10)
        && shape(10, b'T')
        && digits(11..13)
        && shape(13, b':')
        && digits(14..16)
        && shape(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut at = 19;
    if shape(at, b'.') {
        let fraction = text.get(at + 1..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        });
        if !(1..=9).contains(&fraction) {
            return false;
        }
        at += 1 + fraction;
    }
    match text.get(at) {
        Some(b'Z') => text.len() == at + 1,
        Some(b'+' | b'-') => {
            text.len() == at + 6
                && digits(at + 1..at + 3)
                && shape(at + 3, b':')
                && digits(at + 4..at + 6)
        }
        _ => false,
    }
}

/// A JSON value with every credential replaced: each string goes through [`redact`]; in an array of
/// strings the element after a secret flag (`["-Password", "X"]`, `["--token", "X"]`) is replaced;
/// the value of a secret-named key (`"password": "X"`) and of a secret-named environment entry
/// (`{"name": "DB_PASSWORD", "value": "X"}`) is replaced.
pub fn redact_json(mut v: Value) -> Value {
    redact_json_in_place(&mut v);
    v
}

/// [`redact_json`] on a value in place: strings without a secret are left as they are.
pub fn redact_json_in_place(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(redacted) = redact_cow(s) {
                *s = redacted;
            }
        }
        Value::Array(items) => {
            let mut after_secret_flag = false;
            for item in items.iter_mut() {
                let flag = item.as_str().is_some_and(is_secret_flag);
                if after_secret_flag && item.is_string() {
                    *item = Value::String(REDACTED.to_string());
                } else {
                    redact_json_in_place(item);
                }
                after_secret_flag = flag;
            }
        }
        Value::Object(o) => {
            let secret_entry = o
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(is_secret_key);
            for (k, v) in o.iter_mut() {
                let hide = (is_secret_key(k) && v.is_string())
                    || (secret_entry && k == "value" && v.is_string());
                if hide {
                    *v = Value::String(REDACTED.to_string());
                } else {
                    redact_json_in_place(v);
                }
            }
        }
        _ => {}
    }
}

/// Redacts every string of a finding. Front-ends that show findings on a terminal use
/// [`crate::output::finding_for_terminal`], which also escapes control characters.
pub fn redact_finding(f: &mut crate::findings::Finding) {
    let all = |s: &mut String| *s = redact(s);
    all(&mut f.subject.name);
    if let Some(ns) = &mut f.subject.namespace {
        all(ns);
    }
    all(&mut f.message);
    for e in &mut f.evidence {
        all(&mut e.reference);
        all(&mut e.excerpt);
    }
    if let Some(fix) = &mut f.fix {
        all(&mut fix.text);
        fix.commands.iter_mut().for_each(all);
    }
}

/// A server URL for display: credentials in it removed (`http://admin:PASS@host` ->
/// `http://<redacted>@host`).
pub fn server_for_display(url: &str) -> String {
    redact(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each input must lose its secret and say `<redacted`.
    fn assert_scrubbed(cases: &[(&str, &str)]) {
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains("<redacted"), "{input:?} -> {out:?}");
            assert_eq!(redact(&out), out, "redaction is stable: {input:?}");
        }
    }

    #[test]
    fn scrubs_common_secret_shapes() {
        assert_scrubbed(&[
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
        ]);
    }

    /// The shapes issue 15 found leaking.
    #[test]
    fn scrubs_headers_flags_powershell_registry_and_url_credentials() {
        assert_scrubbed(&[
            ("curl -H 'Authorization: token ghp_s3cretvalue'", "ghp_s3cretvalue"),
            ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
            ("Proxy-Authorization: Negotiate YIIabc123", "YIIabc123"),
            ("probe sent Cookie: session=c00kie-in-event; theme=dark", "c00kie"),
            ("Set-Cookie: sid=abc123def; Path=/; HttpOnly", "abc123def"),
            ("powershell.exe -Password P@ssw0rd-in-args -Verbose", "P@ssw0rd"),
            ("New-LocalUser -Password:'Sw0rdfish!'", "Sw0rdfish"),
            (
                "$p = ConvertTo-SecureString \"SecureString-in-event\" -AsPlainText -Force",
                "SecureString-in-event",
            ),
            (
                "ConvertTo-SecureString -String 'pl41n' -AsPlainText",
                "pl41n",
            ),
            (
                "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r.io\".auth]\n  auth = \"dXNlcjpzZWNyZXQ=\"",
                "dXNlcjpzZWNyZXQ=",
            ),
            ("  password = \"reg-pass-1\"\n", "reg-pass-1"),
            ("  identitytoken = \"idt-xyz-987\"", "idt-xyz-987"),
            (r#"{"auths":{"r.io":{"auth":"dXNlcjpwdw=="}}}"#, "dXNlcjpwdw=="),
            ("curl -u admin:hunter2 https://10.0.0.1", "hunter2"),
            ("curl --user=admin:hunter2 x", "hunter2"),
            ("kubectl --token abcdef0123456789 get pods", "abcdef0123456789"),
            ("kubectl --token=\"quoted token\" get pods", "quoted token"),
            // A whole quoted argument: nothing of a value with blanks is left.
            (
                "nssm set kubelet AppParameters \"--bootstrap-token=abc.def 9x-tail\" --v=2",
                "9x-tail",
            ),
            ("run '--password=pw with-blank'", "with-blank"),
            // A secret that starts like a switch's value is still one.
            ("kubelet --token=trueSecret-9 --v=2", "trueSecret-9"),
            ("auth: falsely-77", "falsely-77"),
            ("kube-proxy --api-key=K3Y-value", "K3Y-value"),
            ("server: http://admin:PASS@127.0.0.1:6443", "PASS"),
            ("cannot create a client for https://tok3n@10.0.0.1/", "tok3n"),
            (
                r#"Output { stdout: "{\"status\":{\"token\":\"exec-plugin-t0ken\"}}" }"#,
                "exec-plugin-t0ken",
            ),
        ]);
    }

    #[test]
    fn json_stays_json_after_redaction() {
        let text = r#"{"user":"bob","password":"hunter2","nested":{"token":"abcdefghij"}}"#;
        let out = redact(text);
        let v: Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(v["password"], "<redacted>");
        assert_eq!(v["nested"]["token"], "<redacted>");
        assert_eq!(v["user"], "bob");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "kubelet.exe --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6 --cluster-dns=10.96.0.10",
            "http://proxy.example.com:3128",
            "kubelet --token-ttl=24h0m0s --service-account-key-file=C:\\k\\sa.key --authorization-mode=Webhook",
            "ping -n 1 -w 1000 10.0.0.2",
            "Back-off restarting failed container app in pod web_default(1234)",
            "--discovery-token-ca-cert-hash sha256:abc",
            // A path to the credential provider plugins' configuration, quoted whole or not (EKS's
            // kubelet service, tests/bundles/eks-healthy).
            r#"kubelet.exe "--image-credential-provider-config=C:\Program Files\Amazon\EKS\ecr-credential-provider-config.json" --node-ip=10.0.45.17"#,
            r#"kubelet.exe --image-credential-provider-config="C:\Program Files\Amazon\EKS\ecr-credential-provider-config.json""#,
            r#"nssm set kubelet AppParameters "--v=2 --node-ip=10.0.45.17""#,
            // Switches whose names hold a secret word (RKE2's kubelet command line,
            // tests/bundles/rke2-healthy): true and false are settings, not credentials.
            "kubelet.exe --anonymous-auth=false --authentication-token-webhook=true --v=2",
            r#"{"anonymous-auth": "false", "enableAuth": true}"#,
        ] {
            assert_eq!(redact(s), s);
        }
    }

    #[test]
    fn json_arguments_keys_and_env_entries() {
        let v = redact_json(json!({
            "args": ["--token", "argtok-1", "-Password", "argpw-2", "--v=2", "--token=argtok-3"],
            "env": [{"name": "DB_PASSWORD", "value": "envpw-4"}, {"name": "NODE", "value": "win-1"}],
            "password": "keypw-5",
            "secretName": "keep-me",
            "automountServiceAccountToken": true,
            "msg": "Authorization: Bearer abcdefghijklmnopq"
        }));
        let text = v.to_string();
        for secret in [
            "argtok-1",
            "argpw-2",
            "argtok-3",
            "envpw-4",
            "keypw-5",
            "abcdefghijklmnopq",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(v["args"][4], "--v=2");
        assert_eq!(v["env"][1]["value"], "win-1");
        assert_eq!(v["secretName"], "keep-me");
        assert_eq!(v["automountServiceAccountToken"], true);
    }

    #[test]
    fn secret_flags_and_keys() {
        assert!(is_secret_flag("--token") && is_secret_flag("-Password"));
        assert!(is_secret_flag("--bootstrap-token") && is_secret_flag("-ClientSecret"));
        assert!(!is_secret_flag("--token-file") && !is_secret_flag("token"));
        assert!(!is_secret_flag("--v") && !is_secret_flag("--discovery-token-ca-cert-hash"));
        assert!(is_secret_key("DB_PASSWORD") && is_secret_key("identitytoken"));
        assert!(!is_secret_key("secretName") && !is_secret_key("NODE_NAME"));
        // `-` and `_` alike, any case; the endings too.
        assert!(is_secret_key("Client-Key-Data") && is_secret_key("AWS_ACCESS-KEY"));
        assert!(is_secret_key("x-api-key") && is_secret_key("Authorization"));
        assert!(!is_secret_key("token-file") && !is_secret_key("PASSWORD_PATH"));
        assert!(!is_secret_key("TOKEN_TTL") && !is_secret_key("metadata"));
    }

    #[test]
    fn every_secret_word_holds_a_pair_of_the_quick_test() {
        for word in SECRET_KEY_WORDS {
            let dashed = word.replace('_', "-");
            for spelling in [word.to_string(), word.to_uppercase(), dashed] {
                assert!(
                    holds_a_secret_key_pair(spelling.as_bytes()),
                    "{spelling} has none of the letter pairs is_secret_key looks for first"
                );
            }
        }
        // Member names answered without the search are answered as the search answers them.
        for key in PLAIN_OBJECT_KEYS {
            assert!(
                holds_a_secret_key_pair(key.as_bytes()),
                "{key} needs no place there"
            );
            assert!(!names_a_secret_by_search(key), "{key} names a secret");
            assert!(!is_secret_key(key), "{key}");
        }
        // Keys a pod is mostly made of are answered without the search.
        for key in [
            "name",
            "image",
            "uid",
            "nodeName",
            "hostIP",
            "lastTransitionTime",
        ] {
            assert!(!holds_a_secret_key_pair(key.as_bytes()), "{key}");
        }
        // What `| 0x20` makes of bytes that are not letters is no letter.
        for b in (0u8..=255).filter(|b| !b.is_ascii_alphabetic()) {
            assert!(!(b | 0x20).is_ascii_lowercase(), "{b:#x}");
        }
    }

    /// Every rule in turn, without the set's first pass: what `redact` did before the set.
    fn each_rule(text: &str) -> String {
        let mut out = text.to_string();
        for (re, with) in &shared_rules().each {
            out = re.replace_all(&out, |c: &Captures| with(c)).into_owned();
        }
        out
    }

    /// The byte scan only lets pass text no rule matches: random text made of the rules' words,
    /// blanks and punctuation, next to ASCII and non-ASCII letters.
    #[test]
    fn the_byte_scan_never_hides_a_match() {
        const PARTS: [&str; 40] = [
            "token",
            "password",
            "auth",
            "Authorization",
            "Bearer ",
            "basic",
            "bearer\u{a0}",
            "-",
            "--",
            "-u",
            "--user",
            "eyJ",
            "eyJhbGciOiJIUzI1NiJ9",
            "abcdefghij",
            "x",
            "@",
            "/",
            ".",
            "_",
            "\"",
            "'",
            "(",
            "[",
            ",",
            ";",
            ":",
            "=",
            " ",
            "\t",
            "\n",
            "-----BEGIN RSA KEY-----",
            "-----END RSA KEY-----",
            "Cookie",
            "ConvertTo-SecureString",
            "é",
            "\u{2003}",
            "http",
            "://",
            "P@ss",
            "\u{85}",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut passed, mut scanned) = (0, 0);
        for _ in 0..40_000 {
            let text: String = (0..1 + next(8)).map(|_| PARTS[next(PARTS.len())]).collect();
            scanned += 1;
            if !may_hold_secret(&text) {
                passed += 1;
                assert_eq!(each_rule(&text), text, "{text:?}");
                assert!(matches!(redact_cow(&text), Cow::Borrowed(_)));
            }
        }
        // Both sides of the scan were met.
        assert!(
            passed > 1_000 && passed < scanned - 1_000,
            "{passed} of {scanned}"
        );
    }

    /// A timestamp alone skips the rules, and so must be one that no rule changes; anything
    /// more than a timestamp still goes to them.
    #[test]
    fn timestamps_alone_skip_the_rules_and_no_rule_changes_them() {
        let times = [
            "2026-11-11T23:36:36Z",
            "2026-11-11T23:36:36.123456Z",
            "2026-11-11T23:36:36.123456789Z",
            "2019-05-01T08:00:00+02:00",
            "2019-05-01T08:00:00.5-07:30",
        ];
        for time in times {
            assert!(is_timestamp(time.as_bytes()), "{time}");
            assert!(!may_hold_secret(time), "{time}");
            assert_eq!(each_rule(time), time);
        }
        let more = [
            "2026-11-11T23:36:36Z password=hunter2",
            "password=2026-11-11T23:36:36Z",
            "2026-11-11T23:36:36",
            "2026-11-11 23:36:36Z",
            "2026-11-11T23:36:36.Z",
            "2026-11-11T23:36:36.1234567890Z",
            "2026-11-11T23:36:36+0200",
            "2026-11-11T23:36:36+02:00x",
            "token:2026-11-11T23:36:36Z",
            "2026-1a-11T23:36:36Z",
        ];
        for text in more {
            assert!(!is_timestamp(text.as_bytes()), "{text}");
            assert!(may_hold_secret(text), "{text}");
        }
        assert_eq!(
            redact("2026-11-11T23:36:36Z password=hunter2"),
            "2026-11-11T23:36:36Z password=<redacted>"
        );
    }

    /// The set only decides whether to run the rules: on text with and without secrets, next to
    /// non-ASCII letters and punctuation (where its ASCII `\b` differs from the rules' Unicode
    /// one), `redact` gives what running every rule gives.
    #[test]
    fn the_first_pass_never_hides_a_match() {
        let secrets = [
            "Authorization: Bearer abcdefgh12345678",
            "authorization=token s3cr3tvalue",
            "password=hunter2hunter2",
            "--token abcdef123456",
            "-Password:Pa55word",
            "https://user:pass@example.com/x",
            "Cookie: session=abc",
            "ConvertTo-SecureString \"Pa55\" -AsPlainText",
            "curl -u admin:secret http://x",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            "bearer abcdefghijk",
            "kube-system/kube-proxy-windows-abcde",
            "mcr.microsoft.com/oss/kubernetes/pause:3.9",
            "Running",
        ];
        let around = ["", "é", "Ü ", "日本", "“", "ü-", "x"];
        for secret in secrets {
            for before in around {
                for after in around {
                    let text = format!("{before}{secret}{after}");
                    assert_eq!(redact(&text), each_rule(&text), "{text:?}");
                }
            }
        }
    }
}
