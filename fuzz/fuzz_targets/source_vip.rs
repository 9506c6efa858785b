//! `C:\k\SourceVip.json` (host-local's result, either shape) and `SourceVipRequest.json`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::sourcevip;
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let t = text::decode(data);
    let _ = sourcevip::parse(&t);
    let _ = sourcevip::parse_request(&t);
});
