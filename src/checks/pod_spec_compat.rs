//! Check `pod-spec-compat`: see checks/pod-spec-compat.toml for what it finds and why. (Not implemented yet.)

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
}
