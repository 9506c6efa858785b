//! The kubelet's KubeletConfiguration file (`--config`, YAML) and its resource lists.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::kubelet;
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let t = text::decode(data);
    let _ = kubelet::parse_config_file(&t);
    let _ = kubelet::parse_resource_list(&t);
});
