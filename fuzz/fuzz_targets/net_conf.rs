//! flannel's `net-conf.json` as the node's flanneld reads it (and the cluster's parser).
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::{network, node::flannel};
use windoctor::sources::text;

fuzz_target!(|data: &[u8]| {
    let t = text::decode(data);
    let _ = flannel::parse(&t);
    let _ = network::parse_net_conf(&t);
});
