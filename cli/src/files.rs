//! Dot-commands that read or write files: `.output`, `.once`, `.read`, `.open`, `.backup` and
//! `.save`, with sqlite3's messages. A file name starting with `|` is a command run by `sh -c`:
//! output is piped into it, or input read from it.

use std::fs::File;
use std::io::{BufReader, Write};
use std::process::{Command, Stdio};

use crate::dot::DotOutcome;
use crate::shell::{Executor, InputKind, Redirect, Shell};

/// sqlite3's help text for `.output` and `.once`, printed after an argument error.
const OUTPUT_HELP: &str = "\
.output ?FILE?           Send output to FILE or stdout if FILE is omitted
   If FILE begins with '|' then open it as a pipe.
   Options:
     --bom                 Prefix output with a UTF8 byte-order mark
     -e                    Send output to the system text editor
     -x                    Send output as CSV to a spreadsheet
";
const ONCE_HELP: &str = "\
.once ?OPTIONS? ?FILE?   Output for the next SQL command only to FILE
     If FILE begins with '|' then open as a pipe
       --bom  Put a UTF8 byte-order mark at the beginning
       -e     Send output to the system text editor
       -x     Send output as CSV to a spreadsheet (same as \".excel\")
";

/// `.output ?FILE?` and `.once FILE`.
pub fn output<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let once = args[0].starts_with("on");
    let help = if once { ONCE_HELP } else { OUTPUT_HELP };
    let mut file: Option<String> = None;
    let mut bom = false;
    for (i, arg) in args.iter().enumerate().skip(1) {
        // sqlite3 prints these argument errors and the help on standard output.
        if arg.starts_with('-') && file.is_none() {
            if arg.trim_start_matches('-') == "bom" {
                bom = true;
                continue;
            }
            // `-e` and `-x` (open the output in an editor or a spreadsheet) are not supported.
            shell.out.write_str(&format!("ERROR: unknown option: \"{arg}\".  Usage:\n{help}"));
            return DotOutcome::Error;
        }
        if file.is_some() {
            shell.out.write_str(&format!("ERROR: extra parameter: \"{arg}\".  Usage:\n{help}"));
            return DotOutcome::Error;
        }
        if arg.starts_with('|') {
            // A pipe's command is the rest of the line.
            file = Some(args[i..].join(" "));
            break;
        }
        file = Some(arg.clone());
    }
    let name = file.as_deref().unwrap_or("stdout");
    shell.once_count = if once { 2 } else { 0 };
    shell.reset_output();
    if name == "stdout" {
        return DotOutcome::Ok;
    }
    let (writer, child): (Box<dyn Write>, _) = if let Some(cmd) = name.strip_prefix('|') {
        match Command::new("sh").arg("-c").arg(cmd).stdin(Stdio::piped()).spawn() {
            Ok(mut child) => {
                let stdin = child.stdin.take().expect("piped stdin");
                (Box::new(stdin), Some(child))
            }
            Err(_) => {
                shell.eprint(&format!("Error: cannot open pipe \"{cmd}\"\n"));
                return DotOutcome::Error;
            }
        }
    } else if name == "stderr" {
        (Box::new(std::io::stderr()), None)
    } else {
        match File::create(name) {
            Ok(f) => (Box::new(std::io::BufWriter::new(f)), None),
            Err(_) => {
                shell.eprint(&format!("Error: cannot open \"{name}\"\n"));
                shell.eprint(&format!("Error: cannot write to \"{name}\"\n"));
                return DotOutcome::Error;
            }
        }
    };
    let saved = shell.out.replace_writer(writer);
    if bom {
        shell.out.write_str("\u{feff}");
    }
    shell.redirect = Some(Redirect { name: name.to_string(), child, saved });
    DotOutcome::Ok
}

/// `.read FILE`: runs the file's SQL and dot-commands as if typed, with its own line numbers;
/// `.read |CMD` runs the command's output.
pub fn read<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    if args.len() != 2 {
        shell.eprint("Usage: .read FILE\n");
        return DotOutcome::Error;
    }
    let name = &args[1];
    let code = if let Some(cmd) = name.strip_prefix('|') {
        let child = Command::new("sh").arg("-c").arg(cmd).stdout(Stdio::piped()).spawn();
        let Ok(mut child) = child else {
            shell.eprint(&format!("Error: cannot open \"{cmd}\"\n"));
            return DotOutcome::Error;
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let code = shell.process_input(&mut BufReader::new(stdout), InputKind::Batch);
        let _ = child.wait();
        code
    } else {
        match File::open(name) {
            Ok(f) => shell.process_input(&mut BufReader::new(f), InputKind::Batch),
            Err(_) => {
                shell.eprint(&format!("Error: cannot open \"{name}\"\n"));
                return DotOutcome::Error;
            }
        }
    };
    if code == 0 {
        DotOutcome::Ok
    } else {
        DotOutcome::Error
    }
}

/// `.open ?--new? ?--readonly? ?FILE?`: closes the database and opens FILE (or a new in-memory
/// database). A file that cannot be opened is reported and an in-memory database used instead.
pub fn open<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let (mut new, mut read_only, mut file) = (false, false, None::<&str>);
    for arg in &args[1..] {
        let opt = arg.strip_prefix('-').filter(|a| a.starts_with('-')).unwrap_or(arg);
        match opt {
            "-new" => new = true,
            "-readonly" => read_only = true,
            "-nofollow" => {}
            _ if arg.starts_with('-') => {
                shell.eprint(&format!("unknown option: {arg}\n"));
                return DotOutcome::Error;
            }
            _ if file.is_some() => {
                shell.eprint(&format!("extra argument: \"{arg}\"\n"));
                return DotOutcome::Error;
            }
            _ => file = Some(arg),
        }
    }
    let path = file.unwrap_or("");
    if new && !path.is_empty() && path != ":memory:" {
        let _ = std::fs::remove_file(path);
    }
    shell.db_name = path.to_string();
    if let Err(e) = shell.exec.open(path, read_only) {
        shell.eprint(&format!("Error: unable to open database \"{path}\": {}\n", e.message()));
        let _ = shell.exec.open("", false);
    }
    DotOutcome::Ok
}

/// `.backup ?DB? FILE` and `.save FILE`: writes the database to FILE.
pub fn backup<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let (mut db, mut file) = (None::<&str>, None::<&str>);
    for arg in &args[1..] {
        if arg.starts_with('-') {
            shell.eprint(&format!("unknown option: {arg}\n"));
            return DotOutcome::Error;
        }
        if file.is_none() {
            file = Some(arg);
        } else if db.is_none() {
            db = file;
            file = Some(arg);
        } else {
            shell.eprint("Usage: .backup ?DB? ?OPTIONS? FILENAME\n");
            return DotOutcome::Error;
        }
    }
    let Some(file) = file else {
        shell.eprint("missing FILENAME argument on .backup\n");
        return DotOutcome::Error;
    };
    if let Some(db) = db.filter(|d| !d.eq_ignore_ascii_case("main")) {
        shell.eprint(&format!("Error: unknown database {db}\n"));
        return DotOutcome::Error;
    }
    let image = match shell.exec.serialize() {
        Ok(image) => image,
        Err(e) => {
            shell.eprint(&format!("Error: {}\n", e.message()));
            return DotOutcome::Error;
        }
    };
    if std::fs::write(file, image).is_err() {
        shell.eprint(&format!("Error: cannot open \"{file}\"\n"));
        return DotOutcome::Error;
    }
    DotOutcome::Ok
}
