//! JSON text → binary → text → binary must be stable and always validate.
#![no_main]

use jsonb_ivm_core::binary::{self, text, Container};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(node) = text::parse(s) else { return };
    let Ok(bytes) = binary::encode(&node) else { return };
    Container::parse(&bytes[4..]).unwrap().validate().unwrap();
    let printed = text::to_text(&binary::root_of_datum(&bytes).unwrap()).unwrap();
    let again = binary::encode(&text::parse(&printed).unwrap()).unwrap();
    assert_eq!(bytes, again, "{s} -> {printed}");
});
