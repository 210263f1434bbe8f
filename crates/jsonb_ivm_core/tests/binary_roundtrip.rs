//! Property tests of the binary codec against the reference model.

mod common;

use jsonb_ivm_core::binary::{self, text, values_equal, Container};
use jsonb_ivm_core::model::Json;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Text → binary → text → binary is stable, and the binary always validates.
    #[test]
    fn parse_print_parse_is_stable(j in common::json()) {
        let bytes = binary::encode(&text::parse(&j.to_json_text()).unwrap()).unwrap();
        let root = binary::root_of_datum(&bytes).unwrap();
        Container::parse(&bytes[4..]).unwrap().validate().unwrap();
        let printed = text::to_text(&root).unwrap();
        let again = binary::encode(&text::parse(&printed).unwrap()).unwrap();
        prop_assert_eq!(&bytes, &again);
    }

    /// The model and the text parser build identical bytes.
    #[test]
    fn model_and_parser_agree(j in common::json()) {
        let from_model = j.to_datum().unwrap();
        let from_text = binary::encode(&text::parse(&j.to_json_text()).unwrap()).unwrap();
        prop_assert_eq!(from_model, from_text);
    }

    /// Re-encoding a decoded value (whole containers copied verbatim) gives the same bytes,
    /// as does rebuilding it node by node.
    #[test]
    fn decode_encode_is_identity(j in common::json()) {
        let bytes = j.to_datum().unwrap();
        let root = binary::root_of_datum(&bytes).unwrap();
        prop_assert_eq!(&binary::encode(&binary::Node::from(root)).unwrap(), &bytes);
        let rebuilt = Json::from_value(&root).unwrap().to_datum().unwrap();
        prop_assert_eq!(&rebuilt, &bytes);
    }

    /// Every value equals itself, and differs from a value of another shape.
    #[test]
    fn equality_is_reflexive(a in common::json(), b in common::json()) {
        let (da, db) = (a.to_datum().unwrap(), b.to_datum().unwrap());
        let (ra, rb) = (binary::root_of_datum(&da).unwrap(), binary::root_of_datum(&db).unwrap());
        prop_assert!(values_equal(&ra, &ra).unwrap());
        prop_assert_eq!(values_equal(&ra, &rb).unwrap(), values_equal(&rb, &ra).unwrap());
        if da == db {
            prop_assert!(values_equal(&ra, &rb).unwrap());
        }
    }

    /// Arbitrary bytes never panic the reader.
    #[test]
    fn reader_survives_garbage(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(c) = Container::parse(&bytes) {
            let _ = c.validate();
            let _ = text::to_text(&binary::Value::Container(c));
        }
    }
}

#[test]
fn numbers_keep_their_scale() {
    let bytes = binary::encode(&text::parse(r#"{"price": 10.50, "qty": 1e2}"#).unwrap()).unwrap();
    let root = binary::root_of_datum(&bytes).unwrap();
    assert_eq!(
        text::to_text(&root).unwrap(),
        r#"{"qty": 100, "price": 10.50}"#
    );
}

#[test]
fn one_and_one_point_zero_are_equal_but_five_and_string_five_are_not() {
    let parse = |t: &str| binary::encode(&text::parse(t).unwrap()).unwrap();
    let (a, b, c, d) = (parse("1"), parse("1.0"), parse("5"), parse("\"5\""));
    let v = binary::root_of_datum;
    assert!(values_equal(&v(&a).unwrap(), &v(&b).unwrap()).unwrap());
    assert!(!values_equal(&v(&c).unwrap(), &v(&d).unwrap()).unwrap());
}

#[test]
fn printer_escapes_like_jsonb_out() {
    let bytes = binary::encode(&text::parse(r#"["a\"b\\c\n\u0001é\/"]"#).unwrap()).unwrap();
    let root = binary::root_of_datum(&bytes).unwrap();
    assert_eq!(text::to_text(&root).unwrap(), r#"["a\"b\\c\n\u0001é/"]"#);
}
