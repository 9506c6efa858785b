//! OpenShift must-gather: Windows nodes are named by the `<nodename> ` prefix of every line of
//! the `oc adm node-logs` output (`openshift/oc@6b8e30c:pkg/cli/admin/node/logs.go#L221-L224,
//! L306-L308`), found while the logs are translated, so a collection can hold several nodes.

/// The collection itself is about the cluster; its node parts come from the log prefixes.
pub fn node_of() -> (Option<String>, Option<String>) {
    (None, None)
}
