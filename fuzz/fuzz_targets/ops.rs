//! Every operation on fuzzer-chosen documents: results must encode to valid jsonb, and the
//! invariants that have a simple statement must hold (shallow merge = the model's merge,
//! diff then patch = the second document, set_path then read = the value).
#![no_main]

use jsonb_ivm_core::binary::{self, identical, text, Container, Node, Value};
use jsonb_ivm_core::model::Json;
use jsonb_ivm_core::ops::{self, array, patch, path};
use libfuzzer_sys::fuzz_target;

fn check(n: jsonb_ivm_core::Result<Node<'_>>) -> Option<Vec<u8>> {
    let bytes = binary::encode(&n.ok()?).ok()?;
    Container::parse(&bytes[4..]).unwrap().validate().unwrap();
    Some(bytes)
}

fuzz_target!(|data: &[u8]| {
    // Parts separated by NUL: op selector, then JSON texts and a path.
    let mut parts = data.split(|b| *b == 0);
    let Some(sel) = parts.next().and_then(|p| p.first().copied()) else { return };
    let texts: Vec<&str> = parts.filter_map(|p| std::str::from_utf8(p).ok()).collect();
    let docs: Vec<Vec<u8>> = texts
        .iter()
        .filter_map(|t| text::parse(t).ok().and_then(|n| binary::encode(&n).ok()))
        .collect();
    if docs.len() < 2 {
        return;
    }
    let a = binary::root_of_datum(&docs[0]).unwrap();
    let b = binary::root_of_datum(&docs[1]).unwrap();
    let path_text = texts.last().copied().unwrap_or("");
    match sel % 9 {
        0 => {
            if let Some(r) = check(ops::merge_shallow(&a, &b)) {
                let mut model = Json::from_value(&a).unwrap();
                if let Json::Object(p) = Json::from_value(&b).unwrap() {
                    for (k, v) in p {
                        model.set(&k, v);
                    }
                }
                assert_eq!(r, model.to_datum().unwrap());
            }
        }
        1 => {
            let keys: Vec<&str> = path_text.split('.').collect();
            check(ops::merge_at_path(&a, &b, &keys));
        }
        2 => {
            check(ops::deep_merge(&a, &b));
            check(ops::merge_patch(&a, &b));
        }
        3 => {
            if let Some(d) = check(patch::diff(&a, &b)) {
                let applied = patch::apply(&a, &binary::root_of_datum(&d).unwrap()).unwrap();
                assert_eq!(applied, docs[1]);
            }
        }
        4 => {
            if let Ok(out) = patch::apply(&a, &b) {
                Container::parse(&out[4..]).unwrap().validate().unwrap();
            }
        }
        5 => {
            check(array::update_where(&a, "items", "id", &b, &b));
            check(array::update_where_batch(&a, "items", "id", &b));
        }
        6 => {
            check(array::delete_where(&a, "items", "id", &b));
            let _ = array::contains_id(&a, "items", "id", &b);
            check(array::insert_where(&a, "items", &b, Some("id"), array::SortOrder::Desc));
        }
        7 => {
            if let Ok(segs) = path::parse_path(path_text, "path") {
                if let Some(r) = check(path::set_path(&a, &segs, &b)) {
                    // Read the path back.
                    let mut cur: Value<'_> = binary::root_of_datum(&r).unwrap();
                    for s in &segs {
                        cur = match (s, cur) {
                            (path::Segment::Key(k), Value::Container(c)) if c.is_object() => c.get(k.as_bytes()).unwrap().unwrap(),
                            (path::Segment::Index(i), Value::Container(c)) => {
                                let idx = if *i < 0 { c.len() as i64 + i } else { *i } as usize;
                                c.elem(idx).unwrap()
                            }
                            _ => panic!("path {path_text} not readable after set"),
                        };
                    }
                    assert!(identical(&cur, &b) || matches!((cur, b), (Value::Container(x), Value::Container(y)) if x.bytes() == y.bytes()));
                }
            }
        }
        _ => {
            let _ = ops::extract_id(&a, path_text);
        }
    }
});
