//! The JSON Schema of the `windoctor.report/v1` report, derived with schemars from the report's
//! serde types (`types.rs`, `fleet.rs`), so the published schema (`assets/report.schema.json`)
//! cannot drift from what `--report json` writes: a test compares the two, and
//! `WINDOCTOR_BLESS=1 cargo test published_schema` rewrites the file. The helpers here give the
//! fields that hold a name as text (`&'static str`) the schema of the enum the name comes from, and
//! the check id its list from the catalogue.

use super::types::Report;
use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// Where the published schema says it lives, and what it is.
const ID: &str = "https://windoctor.dev/schema/report/v1.json";
const TITLE: &str = "windoctor report v1";
const DESCRIPTION: &str = "The output of `windoctor --report json`: findings of the Kubernetes Windows troubleshooting checks, with evidence and fixes. Schema version 1.1 (field `schema_version`) adds, without changing any v1 field: `schema_version`, `fleet`, evidence `origin` and finding `sources` (docs/report.md).";

/// The report's schema (JSON Schema draft 2020-12), as published in `assets/report.schema.json`.
pub fn derived() -> serde_json::Value {
    // The report is written, never read: what may be absent is what serde skips when writing.
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Report>();
    schema.insert("$id".into(), ID.into());
    schema.insert("title".into(), TITLE.into());
    schema.insert("description".into(), DESCRIPTION.into());
    schema.to_value()
}

/// The published schema as text: pretty JSON with a final newline.
pub fn derived_text() -> String {
    let mut text = serde_json::to_string_pretty(&derived()).unwrap_or_default();
    text.push('\n');
    text
}

/// A check id: one of the catalogue's (generated from `checks/*.toml`).
pub(crate) fn check_id(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": crate::catalogue::CHECK_IDS,
    })
}

/// A field holding the serialized name of a `T` (e.g. `Place::as_str`) has `T`'s schema.
pub(crate) fn name_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// An optional field holding the name of a `T`.
pub(crate) fn optional_name_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<Option<T>>()
}

/// A list of names of `T`s.
pub(crate) fn names_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<Vec<T>>()
}

/// `schema_version` came with schema 1.1: a 1.0 report without it still validates.
pub(crate) fn report_fields_since_1_0(schema: &mut Schema) {
    not_required(schema, &["schema_version"]);
}

/// A finding's `id` and `code` came within v1: reports written before them still validate.
pub(crate) fn finding_fields_since_1_0(schema: &mut Schema) {
    not_required(schema, &["id", "code"]);
}

fn not_required(schema: &mut Schema, fields: &[&str]) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.retain(|name| !fields.iter().any(|f| name == f));
    }
}

/// The report's `summary`: how many findings have each status (all six always present), and how
/// many of them are muted (absent when none).
pub(crate) fn summary(_: &mut SchemaGenerator) -> Schema {
    let count = serde_json::json!({ "type": "integer", "format": "uint", "minimum": 0 });
    let mut properties = serde_json::Map::new();
    for status in crate::findings::Status::ALL {
        properties.insert(status.as_str().to_string(), count.clone());
    }
    let mut muted = count.clone();
    muted["description"] =
        "How many of the findings are muted (counted in their status too); absent when none."
            .into();
    properties.insert("muted".to_string(), muted);
    let required: Vec<&str> = crate::findings::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    json_schema!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The published schema is the derived one. Adding a field, a status or a check changes the
    /// derived schema; `WINDOCTOR_BLESS=1 cargo test published_schema` rewrites the file.
    #[test]
    fn published_schema_is_the_derived_schema() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json");
        let derived = super::derived_text();
        if std::env::var_os("WINDOCTOR_BLESS").is_some() {
            std::fs::write(&path, &derived).expect("assets/report.schema.json written");
            return;
        }
        let published = std::fs::read_to_string(&path).expect("assets/report.schema.json");
        assert!(
            published == derived,
            "assets/report.schema.json differs from the schema derived from src/report/types.rs: \
             run WINDOCTOR_BLESS=1 cargo test published_schema and review the diff"
        );
    }

    #[test]
    fn derived_schema_lists_the_catalogue_and_every_status() {
        let schema = super::derived();
        let text = schema.to_string();
        for id in crate::catalogue::CHECK_IDS {
            assert!(text.contains(&format!("\"{id}\"")), "check id {id} missing");
        }
        let summary = &schema["properties"]["summary"];
        assert_eq!(summary["required"].as_array().map(Vec::len), Some(6));
        assert_eq!(summary["additionalProperties"], false);
        assert_eq!(
            schema["properties"]["schema"]["const"],
            "windoctor.report/v1"
        );
    }
}
