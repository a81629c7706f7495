//! `cargo run -p uniffi-bindgen -- generate --library <lib> --language kotlin|swift --out-dir <dir>`
//!
//! UniFFI's own command, plus two steps after it for Kotlin, both for the cold start of
//! issue 11 (the work JNA does when the bindings load, before the first token):
//! - the `external fun` declarations nothing calls are removed ([`trim_unused_natives`]);
//! - each callback interface's vtable is handed to Rust when the first object of that
//!   interface is, not all of them when the library loads ([`register_vtables_on_first_use`]).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // UniFFI's main exits the process itself on an error; returning means it generated.
    uniffi::uniffi_bindgen_main();
    if args.get(1).map(String::as_str) != Some("generate") || !generates_kotlin(&args) {
        return ExitCode::SUCCESS;
    }
    let Some(out_dir) = option_value(&args, "--out-dir", "-o") else {
        eprintln!("uniffi-bindgen: Kotlin was generated without --out-dir; the unused natives are not trimmed");
        return ExitCode::FAILURE;
    };
    match trim_dir(Path::new(&out_dir)) {
        Ok(0) => {
            eprintln!("uniffi-bindgen: no generated Kotlin file found under {out_dir}");
            ExitCode::FAILURE
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uniffi-bindgen: trimming the Kotlin natives: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The value of `--name value`, `--name=value` or `-n value`.
fn option_value(args: &[String], long: &str, short: &str) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == long || a == short {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix(long).and_then(|rest| rest.strip_prefix('=')) {
            return Some(v.to_string());
        }
    }
    None
}

/// No `--language` means every language, Kotlin included.
fn generates_kotlin(args: &[String]) -> bool {
    let mut langs = args.windows(2).filter(|w| w[0] == "--language" || w[0] == "-l").map(|w| w[1].as_str()).collect::<Vec<_>>();
    langs.extend(args.iter().filter_map(|a| a.strip_prefix("--language=")));
    langs.is_empty() || langs.contains(&"kotlin")
}

/// Trims every `.kt` file under `dir`; returns how many it found.
fn trim_dir(dir: &Path) -> Result<usize, String> {
    let mut files = Vec::new();
    collect_kt(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let (trimmed, _) = trim_unused_natives(&text)?;
        let (out, _) = register_vtables_on_first_use(&trimmed)?;
        if out != text {
            std::fs::write(f, out).map_err(|e| format!("{}: {e}", f.display()))?;
        }
    }
    Ok(files.len())
}

fn collect_kt(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_kt(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "kt") {
            out.push(path);
        }
    }
    Ok(())
}

/// Removes the `external fun` declarations whose name occurs nowhere else in `source`.
///
/// Why: JNA's `Native.register` binds every `external fun` of the two generated objects
/// when the bindings load, one reflective lookup and `RegisterNatives` each, all on the
/// cold-start path (issue 11). About half are never called: the per-function checksums
/// (`omit_checksums = true`), and the `rust_future_*` scaffolding of return types no async
/// function of ours has. A declaration nothing refers to cannot be called, so removing it
/// changes nothing but the load time; the Rust library still exports the symbols.
///
/// A declaration is the line holding `external fun NAME(` through the first line whose
/// trimmed text starts with `):`, as UniFFI 0.32 writes them. Anything else is an error,
/// not a guess: a new UniFFI layout must be looked at, not half-trimmed.
fn trim_unused_natives(source: &str) -> Result<(String, usize), String> {
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let mut keep = vec![true; lines.len()];
    let mut removed = 0;
    let mut i = 0;
    while i < lines.len() {
        let Some(rest) = lines[i].trim_start().strip_prefix("external fun ") else {
            i += 1;
            continue;
        };
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if name.is_empty() || !rest[name.len()..].starts_with('(') {
            return Err(format!("line {}: an external fun in a form this step does not know: {}", i + 1, lines[i].trim_end()));
        }
        let end = (i..lines.len())
            .find(|&j| (j == i && lines[j].contains("):")) || (j > i && lines[j].trim_start().starts_with("):")))
            .ok_or_else(|| format!("line {}: the declaration of {name} does not end", i + 1))?;
        if word_count(source, &name) == 1 {
            keep[i..=end].iter_mut().for_each(|k| *k = false);
            removed += 1;
        }
        i = end + 1;
    }
    let out: String = lines.iter().zip(&keep).filter(|(_, k)| **k).map(|(l, _)| *l).collect();
    Ok((out, removed))
}

/// Moves each `uniffiCallbackInterfaceX.register(this)` out of `UniffiLib`'s `init` into an
/// `init` of `FfiConverterTypeX`, the object that lowers an `X` into a handle for Rust.
///
/// Why: registering a vtable builds a JNA `Structure` and one native closure per method, by
/// reflection; for our seven callback interfaces that was 35-50 ms of the bindings' load on a
/// fresh JVM, though a first token needs two of them (the HTTP client and the session sink).
///
/// Why it is safe: Rust can call into an `X` only through a handle, and every handle of a
/// Kotlin `X` is made by `FfiConverterTypeX.lower` (directly, or through the `Optional` and
/// sequence converters, which call it). The object's initialiser runs once, before its first
/// use, on whatever thread comes first (JVM class initialisation is thread-safe), so the
/// vtable is registered before the first handle exists. Its initialiser only touches
/// `UniffiLib` (loaded, or loading on another thread: the JVM waits for it), whose `init`
/// no longer refers back to any converter, so there is no initialisation cycle.
///
/// Returns the source and the names of the interfaces moved; an `init` line without its
/// converter is an error.
fn register_vtables_on_first_use(source: &str) -> Result<(String, Vec<String>), String> {
    let mut names = Vec::new();
    let mut out = String::with_capacity(source.len() + 512);
    for line in source.split_inclusive('\n') {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("uniffiCallbackInterface").and_then(|r| r.strip_suffix(".register(this)")) {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                names.push(name.to_string());
                continue;
            }
        }
        out.push_str(line);
    }
    for name in &names {
        let head = format!("public object FfiConverterType{name}: FfiConverter<{name}, Long> {{\n");
        let at = match out.match_indices(&head).map(|(at, _)| at).collect::<Vec<_>>()[..] {
            [at] => at + head.len(),
            _ => return Err(format!("the converter of callback interface {name} is not found once: {}", head.trim_end())),
        };
        let init = format!(
            "    // The vtable goes to Rust before the first handle does (uniffi-bindgen/main.rs).\n    init {{ uniffiCallbackInterface{name}.register(UniffiLib) }}\n"
        );
        out.insert_str(at, &init);
    }
    Ok((out, names))
}

/// How often `word` occurs in `text` with no identifier character on either side.
fn word_count(text: &str, word: &str) -> usize {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(word)
        .filter(|(at, _)| !ident(text[..*at].chars().next_back()) && !ident(text[at + word.len()..].chars().next()))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "\
internal object UniffiLib {
    init {
        Native.register(UniffiLib::class.java, findLibraryName(componentName = \"videokit\"))
    }
    external fun uniffi_fn_used(`handle`: Long,uniffi_out_err: UniffiRustCallStatus, 
    ): Long
    external fun uniffi_fn_unused(`handle`: Long,uniffi_out_err: UniffiRustCallStatus, 
    ): Unit
    external fun uniffi_checksum_a(
    ): Int
    external fun uniffi_fn_used_prefix(
    ): Int
}
fun call(h: Long) = UniffiLib.uniffi_fn_used(h, status)
";

    #[test]
    fn removes_exactly_the_declarations_nothing_calls() -> Result<(), String> {
        let (out, removed) = trim_unused_natives(GENERATED)?;
        assert_eq!(removed, 3);
        assert_eq!(
            out,
            "\
internal object UniffiLib {
    init {
        Native.register(UniffiLib::class.java, findLibraryName(componentName = \"videokit\"))
    }
    external fun uniffi_fn_used(`handle`: Long,uniffi_out_err: UniffiRustCallStatus, 
    ): Long
}
fun call(h: Long) = UniffiLib.uniffi_fn_used(h, status)
"
        );
        Ok(())
    }

    #[test]
    fn vtables_move_from_the_library_init_to_their_converter() -> Result<(), String> {
        let src = "\
internal object UniffiLib {
    init {
        Native.register(UniffiLib::class.java, findLibraryName(componentName = \"videokit\"))
        uniffiCallbackInterfaceVkLogger.register(this)
        uniffiCallbackInterfaceVkSink.register(this)
    }
}
public object FfiConverterTypeVkLogger: FfiConverter<VkLogger, Long> {
    internal val handleMap = UniffiHandleMap<VkLogger>()
}
public object FfiConverterTypeVkSink: FfiConverter<VkSink, Long> {
}
";
        let (out, names) = register_vtables_on_first_use(src)?;
        assert_eq!(names, ["VkLogger", "VkSink"]);
        assert_eq!(
            out,
            "\
internal object UniffiLib {
    init {
        Native.register(UniffiLib::class.java, findLibraryName(componentName = \"videokit\"))
    }
}
public object FfiConverterTypeVkLogger: FfiConverter<VkLogger, Long> {
    // The vtable goes to Rust before the first handle does (uniffi-bindgen/main.rs).
    init { uniffiCallbackInterfaceVkLogger.register(UniffiLib) }
    internal val handleMap = UniffiHandleMap<VkLogger>()
}
public object FfiConverterTypeVkSink: FfiConverter<VkSink, Long> {
    // The vtable goes to Rust before the first handle does (uniffi-bindgen/main.rs).
    init { uniffiCallbackInterfaceVkSink.register(UniffiLib) }
}
"
        );
        let missing = register_vtables_on_first_use("    uniffiCallbackInterfaceVkGone.register(this)\n");
        assert!(matches!(&missing, Err(e) if e.contains("VkGone")), "{missing:?}");
        Ok(())
    }

    #[test]
    fn a_name_that_is_a_prefix_of_another_is_not_counted_as_used() {
        assert_eq!(word_count("a_b a_bc xa_b a_b(", "a_b"), 2);
    }

    #[test]
    fn an_unknown_layout_is_an_error_not_a_guess() {
        let unended = trim_unused_natives("    external fun f(\n    x: Int\n");
        assert!(matches!(&unended, Err(e) if e.contains("does not end")), "{unended:?}");
        let odd = trim_unused_natives("    external fun `weird name`()\n");
        assert!(matches!(&odd, Err(e) if e.contains("form this step does not know")), "{odd:?}");
    }

    #[test]
    fn options_are_read_in_every_spelling() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(option_value(&args("x generate --out-dir /o --language kotlin"), "--out-dir", "-o").as_deref(), Some("/o"));
        assert_eq!(option_value(&args("x generate --out-dir=/o"), "--out-dir", "-o").as_deref(), Some("/o"));
        assert_eq!(option_value(&args("x generate -o /o"), "--out-dir", "-o").as_deref(), Some("/o"));
        assert!(generates_kotlin(&args("x generate --language kotlin")));
        assert!(generates_kotlin(&args("x generate --language=kotlin")));
        assert!(generates_kotlin(&args("x generate --library l")));
        assert!(!generates_kotlin(&args("x generate --language swift")));
        assert!(!generates_kotlin(&args("x generate --language=swift")));
    }
}
