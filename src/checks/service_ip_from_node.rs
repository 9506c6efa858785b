//! Check `service-ip-from-node`: see checks/service-ip-from-node.toml for what it finds and why. (Not implemented yet.)

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
}
