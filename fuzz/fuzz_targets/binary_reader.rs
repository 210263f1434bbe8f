//! Arbitrary bytes as a jsonb container: the reader must never panic or read out of bounds,
//! and whatever validates must print, re-encode to the same bytes and equal itself.
#![no_main]

use jsonb_ivm_core::binary::{self, text, values_equal, Container, Node, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(c) = Container::parse(data) else { return };
    if c.validate().is_err() {
        let _ = text::to_text(&Value::Container(c));
        return;
    }
    let v = if c.is_scalar() { c.elem(0).unwrap() } else { Value::Container(c) };
    let printed = text::to_text(&v).expect("a validated container prints");
    assert!(values_equal(&v, &v).unwrap());
    // Rebuilt node by node from its text, the value equals itself under jsonb equality.
    if let Ok(node) = text::parse(&printed) {
        let again = binary::encode(&node).unwrap();
        let w = binary::root_of_datum(&again).unwrap();
        assert!(values_equal(&v, &w).unwrap(), "{printed}");
        let copied = binary::encode(&Node::from(w)).unwrap();
        assert_eq!(copied, again);
    }
});
