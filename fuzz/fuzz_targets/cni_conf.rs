//! A CNI configuration (`.conf` / `.conflist`, win-bridge, win-overlay, flannel delegate).
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::cni;
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let _ = cni::parse(&text::decode(data));
});
