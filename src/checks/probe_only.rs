//! Probe checks (not implemented yet).

use super::Eval;
use crate::findings::{Status, Subject};

pub fn icmp_vs_tcp(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
}
