//! The check that `docs/reference/api.md` and the core's public API agree.
//!
//! The public API is read from `crates/portcullis/src` with `syn`: every item re-exported
//! by `lib.rs`, and for each its public methods, trait items, fields and variants. The
//! reference is read as Markdown: `## `Item`` sections, `### `Item::member`` subsections,
//! and the ```rust signature blocks under them.
//!
//! It fails when:
//! * a public item, method, associated item, field or variant is not documented;
//! * the reference documents an item or member that does not exist;
//! * a method's documented signature is not the one in the code;
//! * the reference names an error variant (`Error::Foo`) that does not exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use quote::ToTokens;
use syn::{Fields, ImplItem, Item, TraitItem, UseTree, Visibility};

use crate::source::normalize;

/// What the code makes public.
#[derive(Debug, Default)]
pub(crate) struct Api {
    /// Item name → its kind of members.
    items: BTreeMap<String, ItemApi>,
}

#[derive(Debug, Default)]
struct ItemApi {
    /// Re-exported from another crate: documented by name only.
    external: bool,
    /// Methods, associated types and consts: name → signature (empty for types).
    members: BTreeMap<String, String>,
    /// Fields and variants: documented by mention in the item's section.
    fields: BTreeSet<String>,
}

/// Reads the public API of the crate whose `src/` is `src`.
pub(crate) fn read_api(src: &Path) -> Result<Api, String> {
    let lib = parse(&src.join("lib.rs"))?;
    let mut exports: Vec<(Option<String>, String)> = Vec::new();
    for item in &lib.items {
        if let Item::Use(u) = item
            && matches!(u.vis, Visibility::Public(_))
        {
            collect_use(&u.tree, &mut Vec::new(), &mut exports);
        }
    }
    let mut api = Api::default();
    let mut modules: BTreeMap<String, syn::File> = BTreeMap::new();
    for (module, name) in exports {
        let entry = api.items.entry(name.clone()).or_default();
        let Some(module) = module else {
            entry.external = true;
            continue;
        };
        if !modules.contains_key(&module) {
            modules.insert(module.clone(), parse(&src.join(format!("{module}.rs")))?);
        }
        read_item(&modules[&module], &name, entry)
            .map_err(|e| format!("crates/portcullis/src/{module}.rs: {e}"))?;
    }
    Ok(api)
}

fn parse(path: &Path) -> Result<syn::File, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// `pub use a::{B, C}` → (Some("a"), "B"), …; paths into other crates → (None, name).
fn collect_use(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Option<String>, String)>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            collect_use(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let local =
                prefix.len() == 1 && !["oauth2", "reqwest", "url"].contains(&prefix[0].as_str());
            out.push((local.then(|| prefix[0].clone()), n.ident.to_string()));
        }
        UseTree::Rename(r) => out.push((None, r.rename.to_string())),
        UseTree::Group(g) => {
            for tree in &g.items {
                collect_use(tree, prefix, out);
            }
        }
        UseTree::Glob(_) => {}
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn signature(sig: &syn::Signature) -> String {
    normalize(sig.to_token_stream())
}

fn read_item(file: &syn::File, name: &str, entry: &mut ItemApi) -> Result<(), String> {
    let mut found = false;
    for item in &file.items {
        match item {
            Item::Struct(s) if s.ident == name => {
                found = true;
                if let Fields::Named(fields) = &s.fields {
                    for f in fields.named.iter().filter(|f| is_pub(&f.vis)) {
                        if let Some(ident) = &f.ident {
                            entry.fields.insert(ident.to_string());
                        }
                    }
                }
            }
            Item::Enum(e) if e.ident == name => {
                found = true;
                for v in &e.variants {
                    entry.fields.insert(v.ident.to_string());
                }
            }
            Item::Trait(t) if t.ident == name => {
                found = true;
                for item in &t.items {
                    match item {
                        TraitItem::Fn(f) => {
                            entry
                                .members
                                .insert(f.sig.ident.to_string(), signature(&f.sig));
                        }
                        TraitItem::Type(ty) => {
                            entry.members.insert(ty.ident.to_string(), String::new());
                        }
                        TraitItem::Const(c) => {
                            entry.members.insert(c.ident.to_string(), String::new());
                        }
                        _ => {}
                    }
                }
            }
            Item::Type(t) if t.ident == name => found = true,
            Item::Const(c) if c.ident == name => found = true,
            Item::Fn(f) if f.sig.ident == name => found = true,
            Item::Impl(imp) if imp.trait_.is_none() => {
                let self_name = match &*imp.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                if self_name.as_deref() != Some(name) {
                    continue;
                }
                for item in &imp.items {
                    match item {
                        ImplItem::Fn(f) if is_pub(&f.vis) => {
                            entry
                                .members
                                .insert(f.sig.ident.to_string(), signature(&f.sig));
                        }
                        ImplItem::Const(c) if is_pub(&c.vis) => {
                            entry.members.insert(c.ident.to_string(), String::new());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if found {
        Ok(())
    } else {
        Err(format!("re-exported item `{name}` not found"))
    }
}

/// A `##`/`###` section of the reference.
#[derive(Debug)]
struct Section {
    /// The code name in the heading's backticks.
    name: String,
    /// The text under the heading up to the next heading of the same or higher level.
    body: String,
}

/// The sections of the reference whose heading is a code name in backticks.
fn sections(markdown: &str, level: &str) -> Vec<Section> {
    let marker = format!("{level} `");
    let mut out: Vec<Section> = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        }
        let is_heading = !in_fence && line.starts_with('#');
        if is_heading {
            let depth = line.chars().take_while(|c| *c == '#').count();
            if depth <= level.len() {
                // A heading at this level or above ends the current section.
                if let Some(rest) = line.strip_prefix(&marker)
                    && let Some(name) = rest.strip_suffix('`')
                {
                    out.push(Section {
                        name: name.to_owned(),
                        body: String::new(),
                    });
                    continue;
                }
                out.push(Section {
                    name: String::new(),
                    body: String::new(),
                });
                continue;
            }
        }
        if let Some(last) = out.last_mut() {
            last.body.push_str(line);
            last.body.push('\n');
        }
    }
    out.retain(|s| !s.name.is_empty());
    out
}

/// Text without whitespace or trailing commas, so formatting does not count.
fn squash(s: &str) -> String {
    let squashed: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    squashed
        .replace(",)", ")")
        .replace(",>", ">")
        .replace(",}", "}")
}

/// Compares the API with the reference; returns every disagreement.
pub(crate) fn check(api: &Api, reference: &str) -> Vec<String> {
    const FILE: &str = "docs/reference/api.md";
    let mut problems = Vec::new();
    let items = sections(reference, "##");
    let members = sections(reference, "###");
    let item_names: BTreeSet<&str> = items.iter().map(|s| s.name.as_str()).collect();
    let member_names: BTreeMap<&str, &Section> =
        members.iter().map(|s| (s.name.as_str(), s)).collect();

    for (name, item) in &api.items {
        let Some(section) = items.iter().find(|s| &s.name == name) else {
            problems.push(format!(
                "{FILE}: the public item `{name}` is not documented: add a \"## `{name}`\" section"
            ));
            continue;
        };
        if item.external {
            continue;
        }
        for (member, sig) in &item.members {
            let path = format!("{name}::{member}");
            match member_names.get(path.as_str()) {
                None => problems.push(format!(
                    "{FILE}: `{path}` is public but not documented: add a \"### `{path}`\" section"
                )),
                Some(doc) if !sig.is_empty() && !squash(&doc.body).contains(&squash(sig)) => {
                    problems.push(format!(
                        "{FILE}: the signature of `{path}` differs from the code; the code has:\n    {sig}"
                    ))
                }
                Some(_) => {}
            }
        }
        for field in &item.fields {
            let mention = format!("`{field}`");
            let in_members = members
                .iter()
                .any(|m| m.name.starts_with(&format!("{name}::")) && m.body.contains(&mention))
                || member_names.contains_key(format!("{name}::{field}").as_str());
            if !section.body.contains(&mention) && !in_members {
                problems.push(format!(
                    "{FILE}: `{name}::{field}` is public but not mentioned in the `{name}` section"
                ));
            }
        }
    }
    for name in &item_names {
        if !api.items.contains_key(*name) {
            problems.push(format!(
                "{FILE}: documents `{name}`, which the core does not export: remove the section or fix the name"
            ));
        }
    }
    for section in &members {
        let Some((item, member)) = section.name.split_once("::") else {
            problems.push(format!(
                "{FILE}: \"### `{}`\" should be `Item::member`",
                section.name
            ));
            continue;
        };
        let exists = api.items.get(item).is_some_and(|i| {
            i.external || i.members.contains_key(member) || i.fields.contains(member)
        });
        if !exists {
            problems.push(format!(
                "{FILE}: documents `{}`, which does not exist in the code",
                section.name
            ));
        }
    }
    // Every error variant the reference names must exist.
    for error_type in [
        "Error",
        "CallbackError",
        "StoreError",
        "RequestErrorKind",
        "Phase",
    ] {
        let Some(item) = api.items.get(error_type) else {
            continue;
        };
        let needle = format!("`{error_type}::");
        let mut rest = reference;
        while let Some(at) = rest.find(&needle) {
            let after = &rest[at + needle.len()..];
            let variant: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !variant.is_empty()
                && !item.fields.contains(&variant)
                && !item.members.contains_key(&variant)
            {
                problems.push(format!(
                    "{FILE}: names `{error_type}::{variant}`, which does not exist"
                ));
            }
            rest = after;
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        let mut api = Api::default();
        let mut client = ItemApi::default();
        client
            .members
            .insert("new".into(), "fn new(x: u8) -> Self".into());
        client.fields.insert("url".into());
        api.items.insert("Client".into(), client);
        let mut error = ItemApi::default();
        error.fields.insert("Config".into());
        api.items.insert("Error".into(), error);
        api
    }

    const GOOD: &str = "# API\n\n## `Client`\n\nHas `url`.\n\n### `Client::new`\n\n```rust\npub fn new(x: u8) -> Self\n```\n\n## `Error`\n\n`Config`: returns `Error::Config`.\n";

    #[test]
    fn agreeing_reference_passes() {
        assert_eq!(check(&api(), GOOD), Vec::<String>::new());
    }

    #[test]
    fn every_kind_of_drift_is_reported() {
        let renamed = GOOD.replace("### `Client::new`", "### `Client::create`");
        let problems = check(&api(), &renamed);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`Client::new` is public but not documented")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("documents `Client::create`, which does not exist")),
            "{problems:?}"
        );

        let wrong_sig = GOOD.replace("pub fn new(x: u8) -> Self", "pub fn new(x: u16) -> Self");
        assert!(
            check(&api(), &wrong_sig)
                .iter()
                .any(|p| p.contains("signature of `Client::new`"))
        );

        let no_field = GOOD.replace("Has `url`.", "");
        assert!(
            check(&api(), &no_field)
                .iter()
                .any(|p| p.contains("`Client::url`"))
        );

        let bad_error = GOOD.replace("`Error::Config`", "`Error::Nope`");
        assert!(
            check(&api(), &bad_error)
                .iter()
                .any(|p| p.contains("`Error::Nope`"))
        );

        let extra = format!("{GOOD}\n## `Ghost`\n");
        assert!(
            check(&api(), &extra)
                .iter()
                .any(|p| p.contains("documents `Ghost`"))
        );

        let missing = GOOD.replace("## `Error`", "## Errors");
        assert!(
            check(&api(), &missing)
                .iter()
                .any(|p| p.contains("`Error` is not documented"))
        );
    }
}
