//! Results of the opt-in active probes (ICMP/TCP/HTTP to a target, NodePort and ClusterIP from the
//! node). Probes run only when asked; when they did not run, the probe checks report `skip`.

#[derive(Debug, Default)]
pub struct ProbeFacts {
    /// True when probes were requested for this run.
    pub requested: bool,
}
