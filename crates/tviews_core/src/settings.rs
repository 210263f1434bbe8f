//! Settings that never come from the session that happens to write a source.
//!
//! A writer's session settings must not change what maintenance computes: a `DateStyle` or
//! `extra_float_digits` of the writer's choosing would turn the same rows into other documents
//! than the definition gives anywhere else. Two kinds of setting are pinned:
//!
//! * [`CAPTURED`]: settings that change what a definition computes (how dates, floats, bytea,
//!   money and XML print, the time zone, array and text-search input). Their values are
//!   captured from the creating session into the TVIEW's catalog row, like a function's SET
//!   clause, applied to maintenance, refresh and the oracle alike, shown by explain, and
//!   changed only by the owner (`pg_tviews_set_setting`);
//! * [`FIXED`]: settings with one right value for maintenance, whoever created the TVIEW.
//!
//! On top of both, `search_path` is `pg_catalog, pg_temp` (PostgreSQL's RestrictSearchPath).
//! This table is the one place the list lives: the shell applies it, explain prints it, and
//! the user guide's table is checked against it.

use crate::error::Error;

/// A setting captured at creation: (name as PostgreSQL spells it, what it changes).
pub const CAPTURED: &[(&str, &str)] = &[
    (
        "DateStyle",
        "how date and time values print, and how date strings are read",
    ),
    ("IntervalStyle", "how intervals print"),
    ("TimeZone", "how timestamptz values print and convert"),
    (
        "timezone_abbreviations",
        "which time zone abbreviations date strings may use",
    ),
    (
        "extra_float_digits",
        "how many digits real and double precision values print",
    ),
    ("bytea_output", "how bytea values print (hex or escape)"),
    ("lc_monetary", "how money values print"),
    ("lc_numeric", "to_char's number formatting"),
    ("lc_time", "to_char's month and day names"),
    (
        "xmloption",
        "whether text becomes an XML document or content",
    ),
    ("xmlbinary", "how bytea values print in XML"),
    (
        "array_nulls",
        "whether NULL in array input is a null element",
    ),
    (
        "default_text_search_config",
        "the text search configuration of one-argument to_tsvector and friends",
    ),
];

/// Settings maintenance always runs with: (name, value).
/// Settings under which values travel as text in deferred mode (keys of by-reference types
/// and the captured join values of lookups, from a statement to its commit): their output
/// reads back as the same value whatever the TVIEW pinned. Floats print shortest-exact (at
/// `extra_float_digits` 0 they round), dates and times in ISO with numeric UTC offsets (a
/// time zone abbreviation such as IST reads back as another zone's), intervals in the
/// format their input takes everywhere, a NULL element of an array (a NULL field of a
/// captured row) as NULL (with `array_nulls` off it reads back as the text `NULL`), money
/// in one locale.
pub const EXACT_TEXT: &[(&str, &str)] = &[
    ("extra_float_digits", "1"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("array_nulls", "on"),
    ("lc_monetary", "C"),
];

pub const FIXED: &[(&str, &str)] = &[
    // Literals in generated SQL never depend on the session.
    ("standard_conforming_strings", "on"),
    // Row security policies apply as they do to the TVIEW's owner anywhere else; off would
    // make a policy an error instead.
    ("row_security", "on"),
    // A GIN index scan under a limit returns a sample of the rows.
    ("gin_fuzzy_search_limit", "0"),
    // quote_ident, format('%I') and regclass output would quote every name.
    ("quote_all_identifiers", "off"),
    // `x = NULL` in a SQL function body inlined into maintenance would mean `x IS NULL`.
    ("transform_null_equals", "off"),
];

/// The schema names of a `search_path` value as PostgreSQL reads it (its identifier-list
/// syntax: comma-separated, unquoted names folded to lower case, double-quoted names kept
/// as written with `""` for a quote), or `None` when it does not parse.
pub fn search_path_names(value: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                chars.next();
            }
            if name.is_empty() {
                if names.is_empty() && chars.peek().is_none() {
                    return Some(names); // an empty search_path
                }
                return None;
            }
        }
        names.push(name);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Some(names),
            Some(',') => continue,
            Some(_) => return None,
        }
    }
}

/// Does a function's own `search_path` setting (the value of its `SET search_path = ...`)
/// keep the session's temporary schema out of reach? Only when `pg_temp` is listed once,
/// last: PostgreSQL searches the temporary schema where `pg_temp` first appears, and first
/// of all (for tables, views and types) when it is not listed, so whoever runs a session
/// could put objects there that a function run as another role would then use (PostgreSQL
/// gives the same rule for SECURITY DEFINER functions).
pub fn search_path_keeps_pg_temp_last(value: &str) -> bool {
    let Some(names) = search_path_names(value) else {
        return false;
    };
    names.iter().position(|n| n == "pg_temp") == Some(names.len().wrapping_sub(1))
        && !names.is_empty()
}

/// Is `name` one of the captured settings (PostgreSQL compares setting names without case)?
pub fn captured_name(name: &str) -> Option<&'static str> {
    CAPTURED
        .iter()
        .map(|(n, _)| *n)
        .find(|n| n.eq_ignore_ascii_case(name))
}

/// `name=value`, the form of `pg_tview_meta.settings` (and of pg_proc.proconfig).
pub fn format_setting(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

/// Parse stored `name=value` entries; every name must be a captured setting.
pub fn parse_settings(stored: &[String]) -> Result<Vec<(String, String)>, Error> {
    stored
        .iter()
        .map(|s| {
            let (name, value) = s
                .split_once('=')
                .ok_or_else(|| Error::BadSetting(s.clone()))?;
            let name = captured_name(name).ok_or_else(|| Error::BadSetting(s.clone()))?;
            Ok((name.to_string(), value.to_string()))
        })
        .collect()
}

/// How maintenance runs, in words, for explain: role, search_path and every pinned value.
pub fn describe(owner: &str, settings: &[(String, String)]) -> String {
    let mut parts: Vec<String> = settings.iter().map(|(n, v)| format!("{n}={v}")).collect();
    parts.extend(FIXED.iter().map(|(n, v)| format!("{n}={v}")));
    format!(
        "maintenance and refresh run as {owner} (security-restricted); they and pg_tviews_check \
         run with search_path=pg_catalog, pg_temp; {}",
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_without_case() {
        assert_eq!(captured_name("datestyle"), Some("DateStyle"));
        assert_eq!(captured_name("search_path"), None);
    }

    #[test]
    fn pg_temp_must_come_last() {
        assert!(search_path_keeps_pg_temp_last("app, pg_temp"));
        assert!(search_path_keeps_pg_temp_last("\"app\", \"pg_temp\""));
        assert!(search_path_keeps_pg_temp_last("pg_temp"));
        assert!(!search_path_keeps_pg_temp_last("app"));
        assert!(!search_path_keeps_pg_temp_last("pg_temp, app"));
        assert!(!search_path_keeps_pg_temp_last(""));
        assert!(!search_path_keeps_pg_temp_last("pg_temp_3"));
        // The first occurrence is the one searched.
        assert!(!search_path_keeps_pg_temp_last("pg_temp, app, pg_temp"));
        // One quoted name that merely contains a comma.
        assert!(!search_path_keeps_pg_temp_last("\"app, pg_temp\""));
        assert!(search_path_keeps_pg_temp_last("App, PG_TEMP"));
        assert!(!search_path_keeps_pg_temp_last("\"PG_TEMP\""));
        assert!(!search_path_keeps_pg_temp_last("app,, pg_temp"));
    }

    #[test]
    fn search_paths_parse_as_postgresql_reads_them() {
        assert_eq!(
            search_path_names("\"My \"\"Schema\"\"\", Public ,x").unwrap(),
            vec!["My \"Schema\"", "public", "x"]
        );
        assert_eq!(search_path_names("").unwrap(), Vec::<String>::new());
        assert!(search_path_names("\"open").is_none());
    }

    #[test]
    fn stored_settings_round_trip() {
        let stored = vec![
            format_setting("DateStyle", "ISO, MDY"),
            format_setting("TimeZone", "Europe/Paris"),
        ];
        assert_eq!(
            parse_settings(&stored).unwrap(),
            vec![
                ("DateStyle".to_string(), "ISO, MDY".to_string()),
                ("TimeZone".to_string(), "Europe/Paris".to_string())
            ]
        );
        assert!(parse_settings(&["search_path=evil".to_string()]).is_err());
        assert!(parse_settings(&["no equals sign".to_string()]).is_err());
    }

    #[test]
    fn the_description_names_role_path_and_every_setting() {
        let d = describe("alice", &[("TimeZone".into(), "UTC".into())]);
        assert!(d.starts_with("maintenance and refresh run as alice"));
        assert!(d.contains("search_path=pg_catalog, pg_temp; TimeZone=UTC; "));
        let (last, value) = FIXED[FIXED.len() - 1];
        assert!(d.ends_with(&format!("{last}={value}")));
    }

    /// docs/operations.md lists the pinned settings in prose: the same names, in this order.
    #[test]
    fn the_operations_guide_lists_exactly_these_settings() {
        let doc = include_str!("../../../docs/operations.md");
        let start = doc.find("### Pinned settings").expect("the section exists");
        let section = &doc[start..];
        let section = &section[..section[4..].find("\n#").map_or(section.len(), |e| e + 4)];
        let mut at = 0;
        for (name, _) in CAPTURED {
            let found = section[at..]
                .find(&format!("`{name}`"))
                .unwrap_or_else(|| panic!("{name} missing, or out of order, in the guide"));
            at += found + name.len();
        }
        for (name, value) in FIXED {
            assert!(section.contains(&format!("`{name} = {value}`")), "{name}");
        }
    }

    #[test]
    fn no_setting_is_both_captured_and_fixed() {
        for (n, _) in FIXED {
            assert!(captured_name(n).is_none(), "{n}");
        }
    }
}
