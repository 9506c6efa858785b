//! Every PowerShell script windoctor embeds parses as Windows PowerShell 5.1: the local
//! collector's record commands, the fleet collector that embeds them, and the script that runs
//! windoctor.exe from a collector image (tree-sitter-powershell plus the 5.1 deny-list of
//! tests/support/powershell.rs).

mod support;

use support::powershell::assert_parses;

#[test]
fn record_commands_parse() {
    for (id, script) in windoctor::fleet::script::record_scripts() {
        assert_parses(&format!("record command {id}"), &script);
    }
}

#[test]
fn fleet_collector_script_parses() {
    assert_parses(
        "the fleet collector script",
        &windoctor::fleet::script::collector_script(),
    );
}

#[test]
fn collector_image_script_parses() {
    assert_parses(
        "the collector image script",
        &windoctor::fleet::script::image_script("win-1.corp.example.com"),
    );
}

#[test]
fn the_encoded_command_is_the_script() {
    use base64::Engine;
    let script = windoctor::fleet::script::collector_script();
    let args = windoctor::fleet::script::powershell_args(&script);
    assert_eq!(args[args.len() - 2], "-EncodedCommand");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(args.last().expect("encoded"))
        .expect("base64");
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).expect("utf-16"), script);
}
