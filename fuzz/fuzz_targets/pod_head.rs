//! The pod head reader (`facts::pod_head`, on the structural scanner `facts::json_scan`) against
//! serde_json: whatever serde_json reads from the whole pod, the reader reads the same; where
//! serde_json refuses the pod, the reader either refuses it with serde_json's words or, when the
//! fault lies in a member it does not copy, reads the head. Where serde_json finds a value's end,
//! the scanner finds the same. The one-pass reader (`PodHead::read_at`) and the copy-and-parse
//! reader (`PodHead::read_copied`) give the same answer for every text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use windoctor::facts::json_scan;
use windoctor::facts::pod_head::PodHead;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = serde_json::from_str::<PodHead>(text);
    let read = PodHead::parse(text);
    match (&reference, &read) {
        (Ok(expected), Ok(got)) => assert_eq!(format!("{expected:?}"), format!("{got:?}")),
        (Ok(_), Err(e)) => panic!("serde_json reads the pod, the head reader refuses it: {e}"),
        (Err(expected), Err(got)) => assert_eq!(expected.to_string(), got.to_string()),
        (Err(_), Ok(_)) => {}
    }
    let start = json_scan::skip_whitespace(text.as_bytes(), 0);
    assert_eq!(
        format!("{:?}", PodHead::read_at(text, start).map_err(|e| e.to_string())),
        format!("{:?}", PodHead::read_copied(text, start).map_err(|e| e.to_string()))
    );
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<IgnoredAny>();
    if let Some(Ok(_)) = values.next() {
        let end = start + values.byte_offset();
        assert_eq!(json_scan::value_end(text.as_bytes(), start), Ok(end));
    }
});
