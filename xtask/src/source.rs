//! Reading facts out of Rust source with `syn`: a struct's fields and their doc
//! comments, which capability traits a provider implements, its option methods.

use std::fs;
use std::path::Path;

use quote::ToTokens;
use syn::{Attribute, Expr, Fields, ImplItem, Item, Lit, Meta, Type, Visibility};

/// A parsed source file.
pub(crate) struct Source {
    path: String,
    file: syn::File,
}

impl Source {
    /// Parses `path`.
    pub(crate) fn parse(path: &Path) -> Result<Source, String> {
        let text =
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file =
            syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        Ok(Source {
            path: path.display().to_string(),
            file,
        })
    }

    /// Parses a crate's `src/lib.rs` and every other `.rs` file under `src/`, as one
    /// source: items may live in any module file; the crate docs are `lib.rs`'s.
    pub(crate) fn parse_crate(src: &Path) -> Result<Source, String> {
        let mut crate_source = Source::parse(&src.join("lib.rs"))?;
        let mut files: Vec<_> = fs::read_dir(src)
            .map_err(|e| format!("cannot list {}: {e}", src.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.ends_with("lib.rs"))
            .collect();
        files.sort();
        for file in files {
            let module = Source::parse(&file)?;
            crate_source.file.items.extend(module.file.items);
        }
        Ok(crate_source)
    }

    /// The file's inner doc comment (`//!`), as Markdown.
    pub(crate) fn crate_docs(&self) -> String {
        docs(&self.file.attrs)
    }

    /// The public fields of struct `name`, as the provider serves them (serde names).
    pub(crate) fn struct_fields(&self, name: &str) -> Result<Vec<Field>, String> {
        let item = self
            .file
            .items
            .iter()
            .find_map(|item| match item {
                Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .ok_or_else(|| format!("{}: no struct `{name}`", self.path))?;
        let Fields::Named(fields) = &item.fields else {
            return Err(format!("{}: `{name}` has no named fields", self.path));
        };
        Ok(fields
            .named
            .iter()
            .filter(|f| matches!(f.vis, Visibility::Public(_)))
            .map(|f| {
                let ident = f
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Field {
                    name: serde_rename(&f.attrs).unwrap_or(ident),
                    ty: type_string(&f.ty),
                    docs: docs(&f.attrs).replace('\n', " "),
                }
            })
            .collect())
    }

    /// Whether the file has `impl <trait_name> for <ty>`.
    pub(crate) fn implements(&self, trait_name: &str, ty: &str) -> bool {
        self.file.items.iter().any(|item| match item {
            Item::Impl(imp) => {
                let trait_matches = imp.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == trait_name)
                });
                trait_matches && type_string(&imp.self_ty) == ty
            }
            _ => false,
        })
    }

    /// The public methods of the inherent impls of `ty`: the provider's options.
    pub(crate) fn methods(&self, ty: &str) -> Vec<Method> {
        let mut methods = Vec::new();
        for item in &self.file.items {
            let Item::Impl(imp) = item else { continue };
            if imp.trait_.is_some() || type_string(&imp.self_ty) != ty {
                continue;
            }
            for item in &imp.items {
                if let ImplItem::Fn(f) = item
                    && matches!(f.vis, Visibility::Public(_))
                {
                    methods.push(Method {
                        signature: normalize(f.sig.to_token_stream()),
                        docs: first_paragraph(&docs(&f.attrs)),
                    });
                }
            }
        }
        methods
    }
}

/// A public struct field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The name on the wire (after `#[serde(rename)]`).
    pub(crate) name: String,
    /// The Rust type.
    pub(crate) ty: String,
    /// The doc comment, on one line.
    pub(crate) docs: String,
}

/// A public method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Method {
    /// The signature, normalised.
    pub(crate) signature: String,
    /// The first paragraph of the doc comment.
    pub(crate) docs: String,
}

/// The doc comment of `attrs`, lines joined with `\n`, common indentation removed.
pub(crate) fn docs(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The first paragraph of a doc comment, on one line.
pub(crate) fn first_paragraph(docs: &str) -> String {
    docs.split("\n\n")
        .next()
        .unwrap_or("")
        .replace('\n', " ")
        .trim()
        .to_owned()
}

fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Skip other `key = value` arguments.
                let _: Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    rename
}

/// A type as written, with token spacing removed where Rust does not need it.
pub(crate) fn type_string(ty: &Type) -> String {
    normalize(ty.to_token_stream())
}

/// Rust tokens as a person writes them: `Option<String>`, `&'a str`, `-> T`.
pub(crate) fn normalize(tokens: proc_macro2::TokenStream) -> String {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut out = String::new();
    let mut prev = "";
    for tok in &flat {
        let tok = tok.as_str();
        let tight_before = matches!(
            tok,
            ">" | ")" | "]" | "," | ";" | "?" | "." | "::" | ":" | "<"
        ) || (tok == "(" && prev != "->" && prev != ",");
        let tight_after = matches!(prev, "<" | "(" | "[" | "&" | "#" | "::" | "!");
        if !out.is_empty() && !tight_before && !tight_after {
            out.push(' ');
        }
        out.push_str(tok);
        prev = tok;
    }
    out
}

/// Tokens as strings, joint punctuation (`->`, `::`) and lifetimes (`'a`) kept whole.
fn flatten(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let mut joint = String::new();
    for tree in tokens {
        match tree {
            TokenTree::Punct(p) => {
                joint.push(p.as_char());
                if p.spacing() == Spacing::Alone {
                    out.push(std::mem::take(&mut joint));
                }
            }
            TokenTree::Ident(ident) => {
                if joint == "'" {
                    out.push(format!("'{ident}"));
                    joint.clear();
                } else {
                    if !joint.is_empty() {
                        out.push(std::mem::take(&mut joint));
                    }
                    out.push(ident.to_string());
                }
            }
            TokenTree::Literal(lit) => {
                if !joint.is_empty() {
                    out.push(std::mem::take(&mut joint));
                }
                out.push(lit.to_string());
            }
            TokenTree::Group(group) => {
                if !joint.is_empty() {
                    out.push(std::mem::take(&mut joint));
                }
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    out.push(open.to_owned());
                }
                flatten(group.stream(), out);
                if !close.is_empty() {
                    out.push(close.to_owned());
                }
            }
        }
    }
    if !joint.is_empty() {
        out.push(joint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_quote_output() {
        let ty: Type = syn::parse_str("Option<Vec<&'a str>>").unwrap();
        assert_eq!(type_string(&ty), "Option<Vec<&'a str>>");
        for sig in [
            "fn f(&self, x: impl Into<String>) -> Result<(), Error>",
            "async fn g<'a>(&'a mut self, u: &Url) -> Option<&'a str>",
            "fn h(f: impl Fn() -> (u8, u8)) -> Vec<(String, String)>",
        ] {
            let parsed: syn::Signature = syn::parse_str(sig).unwrap();
            assert_eq!(normalize(parsed.to_token_stream()), sig);
        }
    }
}
