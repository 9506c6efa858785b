//! Client errors described without the credentials they may carry. kube's error for a failed exec
//! credential plugin (`users[].user.exec`) prints the plugin's whole standard output, which for a
//! plugin that wrote its `ExecCredential` and then exited non-zero is the token itself, and the
//! command with its arguments and environment (which may hold secrets too). Every finding would then
//! quote it. [`describe`] names what failed and the plugin's exit status and first line of stderr
//! (redacted, and with the values of the plugin's arguments and environment removed), never its
//! stdout, arguments or environment; other errors are redacted text.

use kube::client::AuthError;
use std::error::Error as _;

/// The longest piece of a plugin's stderr quoted in a message.
const STDERR_QUOTE_CHARS: usize = 200;

/// A description of a kube client error that is safe to print and record (no credentials).
pub fn describe(e: &kube::Error) -> String {
    match auth_error(e) {
        Some(auth) => describe_auth(auth),
        None => crate::redact::redact(&e.to_string()),
    }
}

/// The safe description of the authentication error inside `e`, if there is one (see [`describe`]);
/// `None` for every other error, which the caller may classify itself.
pub fn describe_auth_in(e: &kube::Error) -> Option<String> {
    auth_error(e).map(describe_auth)
}

/// The authentication error inside `e`, whether kube returns it directly or wrapped by the
/// middleware (`Error::Service`) as it does for requests.
fn auth_error(e: &kube::Error) -> Option<&AuthError> {
    if let kube::Error::Auth(a) = e {
        return Some(a);
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = cause {
        if let Some(a) = err.downcast_ref::<AuthError>() {
            return Some(a);
        }
        cause = err.source();
    }
    None
}

fn describe_auth(e: &AuthError) -> String {
    const WITHHELD: &str = "its output is not shown because it may hold credentials; run the plugin named under users[].user.exec in the kubeconfig yourself to see why";
    match e {
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(|l| {
                    let l: String = l.chars().take(STDERR_QUOTE_CHARS).collect();
                    format!(", saying {:?}", without_values_of(&crate::redact::redact(&l), cmd))
                })
                .unwrap_or_default();
            format!(
                "the kubeconfig's exec credential plugin failed ({}){first}; {WITHHELD}",
                out.status
            )
        }
        AuthError::AuthExecStart(io) => {
            format!("the kubeconfig's exec credential plugin could not be started: {io}")
        }
        AuthError::AuthExecParse(_) => format!(
            "the kubeconfig's exec credential plugin printed something that is not an ExecCredential; {WITHHELD}"
        ),
        AuthError::AuthExec(_) | AuthError::AuthExecSerialize(_) | AuthError::ExecPluginFailed => {
            format!("the kubeconfig's exec credential plugin did not give a usable credential; {WITHHELD}")
        }
        AuthError::ReadTokenFile(io, path) => format!(
            "cannot read the kubeconfig's token file {}: {io}",
            path.display()
        ),
        other => crate::redact::redact(&format!("authentication failed: {other}")),
    }
}

/// `text` with every argument and environment value of the plugin's command replaced: kube prints
/// the command as Rust debug-formats it (`NAME="value" "program" "arg"`), and a plugin that echoes
/// its arguments or environment on stderr would otherwise quote them.
fn without_values_of(text: &str, cmd: &str) -> String {
    /// Values shorter than this are flags and words, not credentials.
    const MIN_VALUE_CHARS: usize = 6;
    let mut values: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '"') => current = Some(String::new()),
            (Some(v), '\\') => {
                if let Some(next) = chars.next() {
                    v.push(next);
                }
            }
            (Some(_), '"') => values.extend(current.take()),
            (Some(v), c) => v.push(c),
            (None, _) => {}
        }
    }
    values.retain(|v| v.chars().count() >= MIN_VALUE_CHARS);
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for v in values {
        out = out.replace(&v, crate::redact::REDACTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn failed_plugin_output() -> std::process::Output {
        use std::os::unix::process::ExitStatusExt;
        std::process::Output {
            status: std::process::ExitStatus::from_raw(1 << 8),
            stdout: br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"opaque-plugin-t0ken"}}"#.to_vec(),
            stderr: b"\nerror: refresh failed, token=also-secret-123 for env-secret-9\n".to_vec(),
        }
    }

    /// The error kube returns for a request whose exec plugin exited non-zero after printing its
    /// credential: wrapped by the middleware, it still never shows the token.
    #[cfg(unix)]
    #[test]
    fn exec_plugin_output_is_withheld() {
        let auth = AuthError::AuthExecRun {
            cmd: r#"SECRET_ENV="env-secret-9" "/usr/bin/plugin" "--token" "arg-secret-7""#.into(),
            out: Box::new(failed_plugin_output()),
        };
        let plain = kube::Error::Auth(auth);
        let raw = plain.to_string();
        assert!(
            raw.contains("opaque-plugin-t0ken"),
            "kube's own text leaks: {raw}"
        );
        for e in [plain] {
            let text = describe(&e);
            for secret in [
                "opaque-plugin-t0ken",
                "also-secret-123",
                "env-secret-9",
                "arg-secret-7",
            ] {
                assert!(!text.contains(secret), "{secret}: {text}");
            }
            assert!(text.contains("exec credential plugin failed"), "{text}");
            assert!(text.contains("exit status: 1"), "{text}");
            assert!(text.contains("refresh failed"), "{text}");
        }
        let wrapped = kube::Error::Service(Box::new(AuthError::AuthExecRun {
            cmd: String::new(),
            out: Box::new(failed_plugin_output()),
        }));
        let text = describe(&wrapped);
        assert!(!text.contains("opaque-plugin-t0ken"), "{text}");
        assert!(text.contains("exec credential plugin failed"), "{text}");
    }

    #[test]
    fn other_errors_are_redacted() {
        let e = kube::Error::Service("connect to http://admin:hunter2@10.0.0.1 refused".into());
        let text = describe(&e);
        assert!(
            !text.contains("hunter2") && text.contains("refused"),
            "{text}"
        );
    }
}
