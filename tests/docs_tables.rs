//! The "PyTorch → firelight" table opens both the API docs (`src/lib.rs`) and the guide;
//! this keeps the two copies the same.

fn table_rows(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter(|l| l.starts_with('|'))
        .map(str::to_string)
        .collect()
}

#[test]
fn pytorch_table_is_the_same_in_the_api_docs_and_the_guide() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let guide = std::fs::read_to_string(root.join("docs/guide.md")).unwrap();
    let in_lib = table_rows(&lib, "//! ");
    let start = guide
        .find("## If you know PyTorch")
        .expect("the guide's PyTorch section");
    let section = &guide[start
        ..guide[start..]
            .find("\n## 1.")
            .map_or(guide.len(), |e| start + e)];
    let in_guide = table_rows(section, "");
    assert!(
        in_lib.len() >= 10,
        "the table in src/lib.rs has {} rows",
        in_lib.len()
    );
    assert_eq!(in_lib, in_guide, "src/lib.rs and docs/guide.md differ");
}
