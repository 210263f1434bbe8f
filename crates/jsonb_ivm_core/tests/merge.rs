//! Property tests of the merge functions against the reference model.

mod common;

use jsonb_ivm_core::binary::{self};
use jsonb_ivm_core::model::Json;
use jsonb_ivm_core::{ops, Error};
use proptest::prelude::*;

fn run(target: &Json, source: &Json) -> Result<Vec<u8>, Error> {
    let (t, s) = (target.to_datum()?, source.to_datum()?);
    let node = ops::merge_shallow(&binary::root_of_datum(&t)?, &binary::root_of_datum(&s)?)?;
    binary::encode(&node)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// merge_shallow(t, s) is t with every key of s set, byte for byte.
    #[test]
    fn merge_shallow_matches_the_model(t in common::object(), s in common::object()) {
        let mut expected = t.clone();
        if let Json::Object(pairs) = &s {
            for (k, v) in pairs {
                expected.set(k, v.clone());
            }
        }
        prop_assert_eq!(run(&t, &s).unwrap(), expected.to_datum().unwrap());
    }

    /// Anything but two objects is refused, naming the argument.
    #[test]
    fn merge_shallow_refuses_non_objects(t in common::scalar(), s in common::object()) {
        let err = run(&t, &s).unwrap_err();
        let is_target_error = matches!(err, Error::WrongType { argument: "target", .. });
        prop_assert!(is_target_error);
        let err = run(&s, &t).unwrap_err();
        let is_source_error = matches!(err, Error::WrongType { argument: "source", .. });
        prop_assert!(is_source_error);
    }
}
