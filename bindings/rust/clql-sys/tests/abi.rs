//! Keeps src/lib.rs in step with the headers. The headers of include/clql/
//! (all but EXCLUDED_HEADERS, plus version.h.in) are read as text and
//! compared with what the crate declares:
//!   - every CLQL_API function is declared, none is extra, and each one's
//!     argument and return types are the C ones in Rust spelling;
//!   - every struct is declared with the same fields in the same order, and
//!     a C program generated from the headers, compiled with $CC (else cc),
//!     gives the same size, alignment and offset of every field;
//!   - every enum value and #define constant is declared with the value the
//!     C compiler gives it, and every enum has the C enum's size and sign;
//!   - every opaque handle and callback type is declared;
//!   - the library exports every declared function (the test links them all).
//! $CLQL_INCLUDE_DIR overrides the include directory (default: the
//! repository's include/).

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

fn include_dir() -> PathBuf {
    match env::var_os("CLQL_INCLUDE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include"),
    }
}

/// Header files read: include/clql/*.h less the excluded ones, and version.h.in.
fn header_files() -> Vec<PathBuf> {
    let dir = include_dir().join("clql");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {}", dir.display(), e))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.ends_with(".h") || name == "version.h.in")
                && !clql_sys::EXCLUDED_HEADERS.contains(&name.as_str())
        })
        .collect();
    files.sort();
    assert!(files.len() > 10, "no headers in {}", dir.display());
    files
}

// ---- reading C declarations ----

/// Comments removed, backslash-newlines joined.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\n' {
            i += 2;
            out.push(' ');
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Identifiers and '*' of a declaration, in order.
fn tokens(decl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in decl.chars() {
        if is_ident_char(c) {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c == '*' {
            out.push("*".to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A C type (without a declarator name) in the crate's Rust spelling:
/// `const clql_layer_shape *` is `*const clql_layer_shape`,
/// `clql_context *const *` is `*const *mut clql_context`.
fn rust_type(c_type: &str) -> String {
    let toks = tokens(c_type);
    let mut base = Vec::new();
    let mut konst = false;
    let mut i = 0;
    while i < toks.len() && toks[i] != "*" {
        if toks[i] == "const" {
            konst = true;
        } else {
            base.push(toks[i].as_str());
        }
        i += 1;
    }
    let base = base.join(" ");
    let mut t = match base.as_str() {
        "char" => "c_char",
        "int" => "c_int",
        "unsigned" | "unsigned int" => "c_uint",
        "double" => "f64",
        "float" => "f32",
        "size_t" => "usize",
        "uint64_t" => "u64",
        "int64_t" => "i64",
        "uint32_t" => "u32",
        "int32_t" => "i32",
        "uint8_t" => "u8",
        "int8_t" => "i8",
        "void" => "c_void",
        other => other,
    }
    .to_string();
    while i < toks.len() {
        if toks[i] == "*" {
            t = format!("{}{}", if konst { "*const " } else { "*mut " }, t);
            konst = false;
        } else if toks[i] == "const" {
            konst = true;
        }
        i += 1;
    }
    t
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[derive(Debug)]
struct CFunction {
    name: String,
    args: Vec<String>,
    ret: String,
}

#[derive(Default)]
struct Headers {
    functions: BTreeMap<String, CFunction>,
    structs: BTreeMap<String, Vec<String>>,
    enums: BTreeMap<String, Vec<String>>,
    defines: BTreeSet<String>,
    opaque: BTreeSet<String>,
    callbacks: BTreeSet<String>,
    /// Files to #include in the C program.
    includes: Vec<String>,
}

/// The text between the '{' at or after `from` and its matching '}'.
fn braced(code: &str, from: usize) -> (usize, usize) {
    let open = from + code[from..].find('{').unwrap();
    let close = open + code[open..].find('}').expect("unclosed brace");
    (open + 1, close)
}

fn parse_function(decl: &str) -> CFunction {
    let open = decl.find('(').unwrap_or_else(|| panic!("no '(' in {}", decl));
    let close = decl.rfind(')').unwrap();
    let head = decl[..open].trim_end();
    let name_start = head.rfind(|c: char| !is_ident_char(c)).map_or(0, |i| i + 1);
    let name = head[name_start..].to_string();
    let ret = rust_type(&head[..name_start]);
    let params = decl[open + 1..close].trim();
    let args = if params == "void" || params.is_empty() {
        Vec::new()
    } else {
        params
            .split(',')
            .map(|p| {
                let p = p.trim();
                let name_start = p.rfind(|c: char| !is_ident_char(c)).map_or(0, |i| i + 1);
                rust_type(&p[..name_start])
            })
            .collect()
    };
    CFunction { name, args, ret: if ret == "c_void" { String::new() } else { ret } }
}

/// Field names of a struct body, in order (`unsigned domain, bus;` is two).
fn parse_fields(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for decl in body.split(';') {
        let decl = decl.trim();
        if decl.is_empty() {
            continue;
        }
        for (i, part) in decl.split(',').enumerate() {
            let without_array = match part.find('[') {
                Some(at) => &part[..at],
                None => part,
            };
            let toks = tokens(without_array);
            let name = toks.last().unwrap_or_else(|| panic!("bad field '{}'", decl));
            assert!(i > 0 || toks.len() > 1, "field without a type: '{}'", decl);
            out.push(name.clone());
        }
    }
    out
}

/// Members of an enum body; X-macro lists (`LIST(MACRO)` after
/// `#define MACRO(name, value, msg) PREFIX##name = value,`) are expanded.
fn parse_enum(body: &str, file_text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for line in body.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start();
            if let Some(def) = rest.strip_prefix("define") {
                let after_params = def[def.find(')').unwrap() + 1..].trim();
                prefix = match after_params.find("##") {
                    Some(at) => after_params[..at].trim().to_string(),
                    None => String::new(),
                };
            }
            continue;
        }
        for item in line.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if let Some(paren) = item.find('(') {
                let list = &item[..paren];
                let def = format!("define {}(X)", list);
                let at = file_text.find(&def).unwrap_or_else(|| panic!("no #{}", def));
                let end = at + file_text[at..].find('\n').unwrap_or(file_text.len() - at);
                for entry in file_text[at + def.len()..end].split("X(").skip(1) {
                    out.push(format!("{}{}", prefix, entry.split(',').next().unwrap().trim()));
                }
                continue;
            }
            let name = item.split('=').next().unwrap().trim();
            out.push(name.to_string());
        }
    }
    out
}

fn parse_headers() -> Headers {
    let mut h = Headers::default();
    for path in header_files() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = strip_comments(&fs::read_to_string(&path).unwrap());
        if file != "version.h.in" {
            h.includes.push(format!("clql/{}", file));
        }
        // Preprocessor lines apart from the code.
        let mut code = String::new();
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix('#') {
                let rest = rest.trim_start();
                if let Some(def) = rest.strip_prefix("define") {
                    let def = def.trim_start();
                    let name: String = def.chars().take_while(|&c| is_ident_char(c)).collect();
                    let after = &def[name.len()..];
                    let has_value = after.starts_with(|c: char| c == ' ' || c == '\t')
                        && !after.trim().is_empty();
                    if name.starts_with("CLQL_")
                        && has_value
                        && !name.ends_with("_H")
                        && name != "CLQL_API"
                        && !name.starts_with("CLQL_VERSION_")
                    {
                        h.defines.insert(name);
                    }
                }
                code.push('\n');
            } else {
                code.push_str(line);
                code.push('\n');
            }
        }
        let mut at = 0;
        while let Some(i) = code[at..].find("CLQL_API") {
            let start = at + i + "CLQL_API".len();
            let end = start + code[start..].find(';').unwrap();
            let f = parse_function(&code[start..end]);
            assert!(
                h.functions.insert(f.name.clone(), f).is_none(),
                "function declared twice in {}",
                file
            );
            at = end;
        }
        let mut at = 0;
        while let Some(i) = code[at..].find("typedef ") {
            let start = at + i + "typedef ".len();
            let rest = &code[start..];
            if let Some(r) = rest.strip_prefix("struct ") {
                let name: String = r.chars().take_while(|&c| is_ident_char(c)).collect();
                let after = r[name.len()..].trim_start();
                if after.starts_with('{') {
                    let (b, e) = braced(&code, start);
                    h.structs.insert(name, parse_fields(&code[b..e]));
                    at = e;
                    continue;
                }
                h.opaque.insert(name);
            } else if let Some(r) = rest.strip_prefix("enum ") {
                let name: String = r.chars().take_while(|&c| is_ident_char(c)).collect();
                // The enum's body with its preprocessor lines, from the full text.
                let def = format!("typedef enum {} {{", name);
                let t_at = text.find(&def).unwrap();
                let (b, e) = braced(&text, t_at);
                h.enums.insert(name, parse_enum(&text[b..e], &text));
                let (_, ce) = braced(&code, start);
                at = ce;
                continue;
            } else if let Some(p) = rest.find("(*") {
                let semi = rest.find(';').unwrap();
                if p < semi {
                    let name: String =
                        rest[p + 2..].chars().take_while(|&c| is_ident_char(c)).collect();
                    h.callbacks.insert(name);
                }
            }
            at = start;
        }
    }
    h
}

// ---- the C compiler's answers ----

static C_ANSWERS: Mutex<Option<BTreeMap<String, Vec<i128>>>> = Mutex::new(None);

/// Compile and run a C program printing sizeof, _Alignof and offsetof of
/// every struct of the headers, and the size, sign and value of every
/// enum and constant the crate and the headers both declare. Keys:
/// "S name" (size, align), "F name.field" (offset), "E name" (size,
/// signed), "V name" (value).
fn c_answers(h: &Headers) -> BTreeMap<String, Vec<i128>> {
    let mut cached = C_ANSWERS.lock().unwrap();
    if let Some(a) = cached.as_ref() {
        return a.clone();
    }
    let mut src = String::from("#include <stddef.h>\n#include <stdio.h>\n");
    for inc in &h.includes {
        src += &format!("#include <{}>\n", inc);
    }
    src += "int main(void) {\n";
    for (name, fields) in &h.structs {
        src += &format!(
            "  printf(\"S {n} %zu %zu\\n\", sizeof({n}), _Alignof({n}));\n",
            n = name
        );
        for f in fields {
            src += &format!(
                "  printf(\"F {n}.{f} %zu\\n\", offsetof({n}, {f}));\n",
                n = name,
                f = f
            );
        }
    }
    for name in h.enums.keys() {
        src += &format!(
            "  printf(\"E {n} %zu %d\\n\", sizeof({n}), (int)(({n})-1 < 0));\n",
            n = name
        );
    }
    let rust_values: BTreeSet<String> = clql_sys::declared_defines()
        .iter()
        .map(|d| d.0.to_string())
        .chain(
            clql_sys::declared_enums()
                .iter()
                .flat_map(|e| e.values.iter().map(|v| v.0.to_string()).collect::<Vec<_>>()),
        )
        .collect();
    let c_values: BTreeSet<String> =
        h.defines.iter().cloned().chain(h.enums.values().flatten().cloned()).collect();
    for name in rust_values.intersection(&c_values) {
        src += &format!("  printf(\"V {n} %lld\\n\", (long long)({n}));\n", n = name);
    }
    src += "  return 0;\n}\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let c_file = dir.join("clql_abi.c");
    let exe = dir.join("clql_abi");
    fs::write(&c_file, &src).unwrap();
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(include_dir())
        .arg("-o")
        .arg(&exe)
        .arg(&c_file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler '{}': {}", cc, e));
    assert!(
        out.status.success(),
        "{} could not compile {}:\n{}",
        cc,
        c_file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let mut answers = BTreeMap::new();
    for line in String::from_utf8(run.stdout).unwrap().lines() {
        let mut parts = line.split(' ');
        let key = format!("{} {}", parts.next().unwrap(), parts.next().unwrap());
        answers.insert(key, parts.map(|v| v.parse::<i128>().unwrap()).collect());
    }
    *cached = Some(answers.clone());
    answers
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "clql-sys (src/lib.rs) differs from the headers in {}:\n  {}",
        include_dir().display(),
        problems.join("\n  ")
    );
}

fn names_compare(what: &str, c: &BTreeSet<String>, rust: &BTreeSet<String>, problems: &mut Vec<String>) {
    for name in c.difference(rust) {
        problems.push(format!("{} {} is in the headers, not declared in the crate", what, name));
    }
    for name in rust.difference(c) {
        problems.push(format!("{} {} is declared in the crate, not in the headers", what, name));
    }
}

fn field_name(f: &str) -> &str {
    f.strip_prefix("r#").unwrap_or(f)
}

// ---- the tests ----

#[test]
fn functions_match_headers() {
    let h = parse_headers();
    let mut problems = Vec::new();
    let rust: BTreeMap<&str, &clql_sys::FunctionDecl> =
        clql_sys::DECLARED_FUNCTIONS.iter().map(|f| (f.name, f)).collect();
    assert_eq!(rust.len(), clql_sys::DECLARED_FUNCTIONS.len(), "a function declared twice");
    names_compare(
        "function",
        &h.functions.keys().cloned().collect(),
        &rust.keys().map(|s| s.to_string()).collect(),
        &mut problems,
    );
    for (name, c) in &h.functions {
        let r = match rust.get(name.as_str()) {
            Some(r) => r,
            None => continue,
        };
        let r_args: Vec<String> = r.args.iter().map(|a| squash(a)).collect();
        let c_args: Vec<String> = c.args.iter().map(|a| squash(a)).collect();
        if r_args != c_args {
            problems.push(format!(
                "function {}: arguments ({}) in the crate, ({}) in the header",
                name,
                r.args.join(", "),
                c.args.join(", ")
            ));
        }
        if squash(r.ret) != squash(&c.ret) {
            problems.push(format!(
                "function {}: returns '{}' in the crate, '{}' in the header",
                name, r.ret, c.ret
            ));
        }
    }
    report(problems);
}

#[test]
fn every_function_links() {
    let addresses = clql_sys::function_addresses();
    assert_eq!(addresses.len(), clql_sys::DECLARED_FUNCTIONS.len());
    for (name, address) in addresses {
        assert_ne!(address, 0, "{} resolved to null", name);
    }
}

#[test]
fn structs_match_c_layout() {
    let h = parse_headers();
    let answers = c_answers(&h);
    let mut problems = Vec::new();
    let rust = clql_sys::declared_structs();
    let rust_names: BTreeSet<String> = rust.iter().map(|s| s.name.to_string()).collect();
    names_compare("struct", &h.structs.keys().cloned().collect(), &rust_names, &mut problems);
    for s in &rust {
        let c_fields = match h.structs.get(s.name) {
            Some(f) => f,
            None => continue,
        };
        let r_fields: Vec<&str> = s.fields.iter().map(|f| field_name(f.0)).collect();
        if r_fields != c_fields.iter().map(|f| f.as_str()).collect::<Vec<_>>() {
            problems.push(format!(
                "struct {}: fields ({}) in the crate, ({}) in the header",
                s.name,
                r_fields.join(", "),
                c_fields.join(", ")
            ));
            continue;
        }
        let sa = &answers[&format!("S {}", s.name)];
        if sa[0] != s.size as i128 || sa[1] != s.align as i128 {
            problems.push(format!(
                "struct {}: size {} align {} in the crate, {} and {} in C",
                s.name, s.size, s.align, sa[0], sa[1]
            ));
        }
        for (f, offset) in &s.fields {
            let c = answers[&format!("F {}.{}", s.name, field_name(f))][0];
            if c != *offset as i128 {
                problems.push(format!(
                    "struct {}: field {} at offset {} in the crate, {} in C",
                    s.name,
                    field_name(f),
                    offset,
                    c
                ));
            }
        }
    }
    report(problems);
}

#[test]
fn enums_and_constants_match() {
    let h = parse_headers();
    let answers = c_answers(&h);
    let mut problems = Vec::new();
    let rust_enums = clql_sys::declared_enums();
    names_compare(
        "enum",
        &h.enums.keys().cloned().collect(),
        &rust_enums.iter().map(|e| e.name.to_string()).collect(),
        &mut problems,
    );
    for e in &rust_enums {
        let c_members = match h.enums.get(e.name) {
            Some(m) => m,
            None => continue,
        };
        names_compare(
            &format!("value of enum {}:", e.name),
            &c_members.iter().cloned().collect(),
            &e.values.iter().map(|v| v.0.to_string()).collect(),
            &mut problems,
        );
        let ea = &answers[&format!("E {}", e.name)];
        if ea[0] != e.size as i128 || (ea[1] != 0) != e.signed {
            problems.push(format!(
                "enum {}: {} bytes, signed {} in the crate; {} bytes, signed {} in C",
                e.name,
                e.size,
                e.signed,
                ea[0],
                ea[1] != 0
            ));
        }
    }
    let rust_defines = clql_sys::declared_defines();
    names_compare(
        "constant",
        &h.defines,
        &rust_defines.iter().map(|d| d.0.to_string()).collect(),
        &mut problems,
    );
    let values = rust_defines
        .iter()
        .cloned()
        .chain(rust_enums.iter().flat_map(|e| e.values.iter().cloned().collect::<Vec<_>>()));
    for (name, value) in values {
        if let Some(c) = answers.get(&format!("V {}", name)) {
            if c[0] != value {
                problems.push(format!("{} is {} in the crate, {} in C", name, value, c[0]));
            }
        }
    }
    report(problems);
}

#[test]
fn handles_and_callbacks_match() {
    let h = parse_headers();
    let mut problems = Vec::new();
    names_compare(
        "opaque handle",
        &h.opaque,
        &clql_sys::DECLARED_OPAQUE.iter().map(|s| s.to_string()).collect(),
        &mut problems,
    );
    names_compare(
        "callback type",
        &h.callbacks,
        &clql_sys::DECLARED_CALLBACKS.iter().map(|s| s.to_string()).collect(),
        &mut problems,
    );
    report(problems);
}

/// The reader itself, on declarations shaped like the headers'.
#[test]
fn reader_understands_declarations() {
    assert_eq!(rust_type("const clql_layer_shape *"), "*const clql_layer_shape");
    assert_eq!(rust_type("clql_context *const *"), "*const *mut clql_context");
    assert_eq!(rust_type("const char **"), "*mut *const c_char");
    assert_eq!(rust_type("unsigned"), "c_uint");
    let f = parse_function(
        " clql_status clql_x(const clql_config *config, size_t n,\n uint64_t *out)",
    );
    assert_eq!(f.name, "clql_x");
    assert_eq!(f.args, vec!["*const clql_config", "usize", "*mut u64"]);
    assert_eq!(f.ret, "clql_status");
    assert_eq!(parse_function(" void clql_y(void)").args.len(), 0);
    assert_eq!(
        parse_fields(" unsigned domain, bus; char name[CLQL_NAME_MAX]; const void *data; "),
        vec!["domain", "bus", "name", "data"]
    );
}
