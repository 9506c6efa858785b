//! containerd's `config.toml` (versions 2 and 3 layouts).
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::containerd;
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let _ = containerd::parse(&text::decode(data));
});
