//! Node-side checks (not implemented yet): each reports skip until the node source lands.

use super::Eval;
use crate::findings::{Status, Subject};

fn todo(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
}
pub fn kubelet_config(ev: &mut Eval) {
    todo(ev)
}
