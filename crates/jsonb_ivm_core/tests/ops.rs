//! Property tests of every operation against a reference: the plain model of `model.rs`
//! written out here, or the json-patch crate (RFC 6902 and RFC 7386) for the patch family.
//! Results are compared as jsonb bytes, so "equal" means identical.

mod common;

use jsonb_ivm_core::binary::{self, Node};
use jsonb_ivm_core::model::Json;
use jsonb_ivm_core::ops::{self, array, patch, path};
use jsonb_ivm_core::Error;
use proptest::prelude::*;

fn datum(j: &Json) -> Vec<u8> {
    j.to_datum().unwrap()
}

fn encode(n: Result<Node<'_>, Error>) -> Result<Vec<u8>, Error> {
    binary::encode(&n?)
}

fn root(d: &[u8]) -> binary::Value<'_> {
    binary::root_of_datum(d).unwrap()
}

/// Model equality under jsonb rules (1 = 1.0), via the binary comparison.
fn jsonb_eq(a: &Json, b: &Json) -> bool {
    let (x, y) = (datum(a), datum(b));
    binary::values_equal(&root(&x), &root(&y)).unwrap()
}

fn to_serde(j: &Json) -> serde_json::Value {
    serde_json::from_str(&j.to_json_text()).unwrap()
}

fn from_serde(v: &serde_json::Value) -> Json {
    match v {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(b) => Json::Bool(*b),
        serde_json::Value::Number(n) => Json::Number(n.to_string()),
        serde_json::Value::String(s) => Json::String(s.clone()),
        serde_json::Value::Array(a) => Json::Array(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Json::Object(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}

/// Model: the object's last value per key, in first-appearance order.
fn pairs(j: &Json) -> Vec<(String, Json)> {
    let Json::Object(p) = j else { return vec![] };
    let mut out: Vec<(String, Json)> = Vec::new();
    for (k, v) in p {
        out.retain(|(x, _)| x != k);
        out.push((k.clone(), v.clone()));
    }
    out
}

fn model_merge_at(t: &Json, s: &Json, path: &[String]) -> Json {
    match path.split_first() {
        None => {
            let mut out = Json::Object(pairs(t));
            for (k, v) in pairs(s) {
                out.set(&k, v);
            }
            out
        }
        Some((k, rest)) => {
            let child = t.get(k).cloned().unwrap_or(Json::Object(vec![]));
            let mut out = Json::Object(pairs(t));
            out.set(k, model_merge_at(&child, s, rest));
            out
        }
    }
}

fn model_deep(t: &Json, s: &Json) -> Json {
    match (t, s) {
        (Json::Object(_), Json::Object(_)) => {
            let mut out = Json::Object(pairs(t));
            for (k, v) in pairs(s) {
                let merged = match out.get(&k) {
                    Some(old) => model_deep(old, &v),
                    None => v,
                };
                out.set(&k, merged);
            }
            out
        }
        _ => s.clone(),
    }
}

/// Documents with an array of objects under "items", ids drawn from a small set (with
/// numbers written two ways so 1 and 1.0 both appear).
fn doc_with_items() -> impl Strategy<Value = Json> {
    let id = prop_oneof![
        (0u8..5).prop_map(|i| Json::Number(i.to_string())),
        (0u8..5).prop_map(|i| Json::Number(format!("{i}.0"))),
        (0u8..5).prop_map(|i| Json::String(i.to_string())),
    ];
    let item = (id, common::scalar(), prop::option::of(0u8..9)).prop_map(|(id, v, rank)| {
        let mut p = vec![("id".to_string(), id), ("v".to_string(), v)];
        if let Some(r) = rank {
            p.push(("rank".to_string(), Json::Number(r.to_string())));
        }
        Json::Object(p)
    });
    let elems = prop::collection::vec(prop_oneof![9 => item, 1 => common::scalar()], 0..40);
    (elems, common::object()).prop_map(|(items, rest)| {
        let mut doc = rest;
        if !matches!(doc, Json::Object(_)) {
            doc = Json::Object(vec![]);
        }
        doc.set("items", Json::Array(items));
        doc
    })
}

fn id_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        (0u8..5).prop_map(|i| Json::Number(i.to_string())),
        (0u8..5).prop_map(|i| Json::String(i.to_string())),
    ]
}

fn model_items(doc: &Json) -> Vec<Json> {
    match doc.get("items") {
        Some(Json::Array(a)) => a.clone(),
        _ => vec![],
    }
}

fn model_matches(e: &Json, id: &Json) -> bool {
    e.get("id")
        .is_some_and(|v| matches!(e, Json::Object(_)) && jsonb_eq(v, id))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn merge_at_path_matches_the_model(t in common::object(), s in common::object(),
                                        path in prop::collection::vec("[a-e]{0,2}", 0..4)) {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let (td, sd) = (datum(&t), datum(&s));
        let got = encode(ops::merge_at_path(&root(&td), &root(&sd), &p));
        // The model creates objects where the real function finds a non-object: only compare
        // when the path is made of objects (or missing).
        let mut cur = Some(&t);
        let mut blocked = false;
        for k in &path {
            match cur {
                Some(Json::Object(_)) => cur = cur.and_then(|c| c.get(k)),
                None => break,
                Some(_) => { blocked = true; break; }
            }
        }
        if matches!(cur, Some(v) if !matches!(v, Json::Object(_))) { blocked = true; }
        if blocked {
            let is_type_error = matches!(got, Err(Error::WrongType { .. }));
            prop_assert!(is_type_error);
        } else {
            prop_assert_eq!(got.unwrap(), datum(&model_merge_at(&t, &s, &path)));
        }
    }

    #[test]
    fn deep_merge_matches_the_model(t in common::json(), s in common::json()) {
        let (td, sd) = (datum(&t), datum(&s));
        prop_assert_eq!(encode(ops::deep_merge(&root(&td), &root(&sd))).unwrap(), datum(&model_deep(&t, &s)));
    }

    #[test]
    fn merge_patch_matches_json_patch(t in common::json(), p in common::json()) {
        let (td, pd) = (datum(&t), datum(&p));
        let got = encode(ops::merge_patch(&root(&td), &root(&pd))).unwrap();
        let mut reference = to_serde(&t);
        json_patch::merge(&mut reference, &to_serde(&p));
        prop_assert_eq!(got, datum(&from_serde(&reference)));
    }

    #[test]
    fn update_where_touches_every_match_and_nothing_else(doc in doc_with_items(), id in id_value(), upd in common::object()) {
        let (dd, idd, ud) = (datum(&doc), datum(&id), datum(&upd));
        let got = encode(array::update_where(&root(&dd), "items", "id", &root(&idd), &root(&ud))).unwrap();
        let items: Vec<Json> = model_items(&doc).into_iter().map(|e| {
            if model_matches(&e, &id) { model_merge_at(&e, &upd, &[]) } else { e }
        }).collect();
        let mut expected = doc.clone();
        expected.set("items", Json::Array(items));
        prop_assert_eq!(got, datum(&expected));
    }

    /// Matching is on the elements as they were (one pass), so the updates here leave the
    /// matched key alone; then a batch equals the same updates applied one by one.
    #[test]
    fn batch_equals_successive_updates(doc in doc_with_items(),
                                       specs in prop::collection::vec((id_value(), common::object()), 0..4)) {
        let specs: Vec<(Json, Json)> = specs.into_iter().map(|(id, u)| {
            (id, Json::Object(pairs(&u).into_iter().filter(|(k, _)| k != "id").collect()))
        }).collect();
        let batch = Json::Array(specs.iter().map(|(id, u)| Json::Object(vec![
            ("match_value".into(), id.clone()), ("updates".into(), u.clone())])).collect());
        let (dd, bd) = (datum(&doc), datum(&batch));
        let got = encode(array::update_where_batch(&root(&dd), "items", "id", &root(&bd))).unwrap();
        let mut expected = datum(&doc);
        for (id, u) in &specs {
            let (idd, ud) = (datum(id), datum(u));
            let next = encode(array::update_where(&root(&expected), "items", "id", &root(&idd), &root(&ud))).unwrap();
            expected = next;
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn delete_where_removes_exactly_the_matches(doc in doc_with_items(), id in id_value()) {
        let (dd, idd) = (datum(&doc), datum(&id));
        let got = encode(array::delete_where(&root(&dd), "items", "id", &root(&idd))).unwrap();
        let items: Vec<Json> = model_items(&doc).into_iter().filter(|e| !model_matches(e, &id)).collect();
        let mut expected = doc.clone();
        expected.set("items", Json::Array(items));
        prop_assert_eq!(got, datum(&expected));
        let found = array::contains_id(&root(&dd), "items", "id", &root(&idd)).unwrap();
        prop_assert_eq!(found, model_items(&doc).iter().any(|e| model_matches(e, &id)));
    }

    /// Inserting into a sorted array keeps it sorted and stable.
    #[test]
    fn insert_where_keeps_sorted_arrays_sorted(ranks in prop::collection::vec(0u8..9, 0..20),
                                              new_rank in 0u8..9, desc in any::<bool>()) {
        let mut sorted = ranks.clone();
        sorted.sort();
        if desc { sorted.reverse(); }
        let items: Vec<Json> = sorted.iter().enumerate().map(|(i, r)| Json::Object(vec![
            ("id".into(), Json::Number(i.to_string())), ("rank".into(), Json::Number(r.to_string()))])).collect();
        let doc = Json::Object(vec![("items".into(), Json::Array(items))]);
        let new = Json::Object(vec![("id".into(), Json::String("new".into())), ("rank".into(), Json::Number(new_rank.to_string()))]);
        let order = if desc { array::SortOrder::Desc } else { array::SortOrder::Asc };
        let (dd, nd) = (datum(&doc), datum(&new));
        let got = encode(array::insert_where(&root(&dd), "items", &root(&nd), Some("rank"), order)).unwrap();
        let back = Json::from_value(&root(&got)).unwrap();
        let out_ranks: Vec<u8> = model_items(&back).iter().map(|e| match e.get("rank") { Some(Json::Number(n)) => n.parse().unwrap(), _ => 255 }).collect();
        let mut expected = out_ranks.clone();
        expected.sort();
        if desc { expected.reverse(); }
        prop_assert_eq!(&out_ranks, &expected);
        // After the equal ones: the new element follows every element of the same rank.
        let pos = model_items(&back).iter().position(|e| e.get("id") == Some(&Json::String("new".into()))).unwrap();
        prop_assert!(out_ranks[pos + 1..].iter().all(|r| *r != new_rank));
    }

    /// set_path then reading the path back gives the value; other keys are untouched.
    #[test]
    fn set_path_sets_exactly_the_path(t in common::object(), keys in prop::collection::vec("[a-c]{1,2}", 1..4), v in common::json()) {
        let text = keys.join(".");
        let segs = path::parse_path(&text, "path").unwrap();
        let (td, vd) = (datum(&t), datum(&v));
        match encode(path::set_path(&root(&td), &segs, &root(&vd))) {
            Err(e) => { let is_type = matches!(e, Error::WrongType { .. }); prop_assert!(is_type); }
            Ok(got) => {
                let mut cur = Json::from_value(&root(&got)).unwrap();
                for k in &keys { cur = cur.get(k).cloned().unwrap(); }
                prop_assert_eq!(datum(&cur), vd);
            }
        }
    }

    /// RFC 6902: our diff turns a into b exactly, applied by us and by json-patch.
    #[test]
    fn diff_then_apply_round_trips(a in common::json(), b in common::json()) {
        let (ad, bd) = (datum(&a), datum(&b));
        let d = encode(patch::diff(&root(&ad), &root(&bd))).unwrap();
        prop_assert_eq!(&patch::apply(&root(&ad), &root(&d)).unwrap(), &bd);
        let ops: json_patch::Patch = serde_json::from_str(&Json::from_value(&root(&d)).unwrap().to_json_text()).unwrap();
        let mut reference = to_serde(&a);
        json_patch::patch(&mut reference, &ops).unwrap();
        prop_assert_eq!(datum(&from_serde(&reference)), bd);
    }

    /// RFC 6902 application agrees with json-patch on random patches (success and failure).
    #[test]
    fn apply_matches_json_patch(doc in common::json(), ops_spec in prop::collection::vec((0u8..5, prop::collection::vec("[a-c]|0|1|-", 0..3), prop::collection::vec("[a-c]|0|1", 0..3), common::json()), 0..4)) {
        let ops_json = Json::Array(ops_spec.iter().map(|(k, p, f, v)| {
            let ptr = |toks: &Vec<String>| toks.iter().map(|t| format!("/{t}")).collect::<String>();
            let kind = ["add", "remove", "replace", "move", "copy"][*k as usize];
            let mut o = vec![("op".to_string(), Json::String(kind.into())), ("path".to_string(), Json::String(ptr(p)))];
            match kind {
                "add" | "replace" => o.push(("value".into(), v.clone())),
                "move" | "copy" => o.push(("from".into(), Json::String(ptr(f)))),
                _ => {}
            }
            Json::Object(o)
        }).collect());
        let (dd, od) = (datum(&doc), datum(&ops_json));
        let ours = patch::apply(&root(&dd), &root(&od));
        let parsed: json_patch::Patch = serde_json::from_str(&ops_json.to_json_text()).unwrap();
        let mut reference = to_serde(&doc);
        // patch_unsafe: on failure we only compare that both failed, so no undo is needed.
        let theirs = json_patch::patch_unsafe(&mut reference, &parsed);
        match (ours, theirs) {
            (Ok(bytes), Ok(())) => prop_assert_eq!(bytes, datum(&from_serde(&reference))),
            (Err(_), Err(_)) => {}
            (o, t) => prop_assert!(false, "ours {:?} vs json-patch {:?} for {}", o.map(|_| ()), t.map(|_| ()), ops_json.to_json_text()),
        }
    }
}

#[test]
fn a_failing_test_operation_is_an_error() {
    let doc = datum(&Json::Object(vec![("a".into(), Json::Number("1".into()))]));
    let ok = datum(&Json::Array(vec![Json::Object(vec![
        ("op".into(), Json::String("test".into())),
        ("path".into(), Json::String("/a".into())),
        ("value".into(), Json::Number("1.0".into())),
    ])]));
    assert!(
        patch::apply(&root(&doc), &root(&ok)).is_ok(),
        "1 equals 1.0"
    );
    let bad = datum(&Json::Array(vec![Json::Object(vec![
        ("op".into(), Json::String("test".into())),
        ("path".into(), Json::String("/a".into())),
        ("value".into(), Json::String("1".into())),
    ])]));
    assert!(matches!(
        patch::apply(&root(&doc), &root(&bad)),
        Err(Error::TestFailed { index: 0, .. })
    ));
}

#[test]
fn sort_order_parses_asc_desc_and_refuses_the_rest() {
    assert_eq!(
        array::SortOrder::parse(None).unwrap(),
        array::SortOrder::Asc
    );
    assert_eq!(
        array::SortOrder::parse(Some("desc")).unwrap(),
        array::SortOrder::Desc
    );
    assert_eq!(
        array::SortOrder::parse(Some(" ASC ")).unwrap(),
        array::SortOrder::Asc
    );
    assert!(array::SortOrder::parse(Some("down")).is_err());
}
