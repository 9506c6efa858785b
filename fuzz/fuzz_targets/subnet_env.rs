//! flannel's `C:\run\flannel\subnet.env`, decoded as the bundle reader decodes node files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::subnet_env;
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let _ = subnet_env::parse(&text::decode(data));
});
