//! The node's record files: HNS networks, services (and `sc.exe qc` text), processes, adapters, IP
//! addresses, the machine environment; the first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::facts::node::records;
use windoctor::sources::{node, text};

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let t = text::decode(rest);
    match which % 7 {
        0 => drop(records::parse_hns(&t)),
        1 => drop(records::parse_services(&t)),
        2 => drop(records::parse_processes(&t)),
        3 => drop(records::parse_adapters(&t)),
        4 => drop(records::parse_ip_addresses(&t)),
        5 => drop(node::parse_env(&t)),
        _ => drop(records::parse_sc_output("kubelet", &t)),
    }
});
