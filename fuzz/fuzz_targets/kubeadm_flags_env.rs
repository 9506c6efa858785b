//! `C:\var\lib\kubelet\kubeadm-flags.env` and the flags parsed from it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::{cmdline, kubelet};
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    if let Ok(words) = kubelet::parse_kubeadm_flags_env(&text::decode(data)) {
        let _ = cmdline::parse_flags(&words);
    }
});
