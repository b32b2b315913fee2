//! Dot-commands that show the schema or the whole database: `.tables`, `.indexes`, `.schema`,
//! `.databases` and `.dump`, each producing exactly what sqlite3 3.40's does (its queries, its
//! column layout, its quoting of names and values).

use brisk::Value;

use crate::dot::DotOutcome;
use crate::output::{insert_value, quote_identifier as quote_name};
use crate::shell::{ExecError, Executor, Shell};

/// An SQL string literal: single-quoted, quotes doubled.
fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Runs a query for a dot-command; on failure prints `Error: MESSAGE` as sqlite3 does.
fn rows<E: Executor>(shell: &mut Shell<E>, sql: &str, params: &[Value]) -> Option<Vec<Vec<Value>>> {
    match shell.exec.query(sql, params) {
        Ok(rows) => Some(rows),
        Err(e) => {
            let message = e.message().to_string();
            if let ExecError::Open { .. } = e {
                shell.eprint(&format!("Error: unable to open database \"{}\": {message}\n", shell.exec.filename()));
            } else {
                shell.eprint(&format!("Error: {message}\n"));
            }
            None
        }
    }
}

/// `.tables ?PATTERN?` and `.indexes ?TABLE?`: names in sqlite3's columns, filled downwards.
pub fn tables<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let indexes = args[0].starts_with('i');
    if indexes && args.len() > 2 {
        shell.eprint("Usage: .indexes ?LIKE-PATTERN?\n");
        return DotOutcome::Error;
    }
    let sql = if indexes {
        "SELECT name FROM \"main\".sqlite_schema  WHERE type='index'   AND tbl_name LIKE ?1 ORDER BY 1"
    } else {
        "SELECT name FROM \"main\".sqlite_schema  WHERE type IN ('table','view')   AND name NOT LIKE 'sqlite_%'   \
         AND name LIKE ?1 ORDER BY 1"
    };
    let pattern = args.get(1).map_or("%", String::as_str);
    let Some(rows) = rows(shell, sql, &[Value::text(pattern)]) else { return DotOutcome::Error };
    let names: Vec<String> = rows.iter().map(|r| text_of(&r[0])).collect();
    if names.is_empty() {
        return DotOutcome::Ok;
    }
    // Widths in bytes, as printf's `%-*s` pads.
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let columns = (80 / (width + 2)).max(1);
    let lines = names.len().div_ceil(columns);
    let mut text = String::new();
    for i in 0..lines {
        for (j, name) in names.iter().enumerate().skip(i).step_by(lines) {
            let sep = if j < lines { "" } else { "  " };
            text.push_str(sep);
            text.push_str(name);
            text.push_str(&" ".repeat(width - name.len()));
        }
        text.push('\n');
    }
    shell.out.write_str(&text);
    DotOutcome::Ok
}

/// sqlite3's `printSchemaLine`: a CREATE statement ended by `tail`; an unterminated comment at
/// its end is closed first, and `CREATE TABLE "x"` becomes `CREATE TABLE IF NOT EXISTS "x"`.
fn schema_line(sql: &str, tail: &str) -> String {
    let mut z = sql.to_string();
    if tail.starts_with(';') && (z.contains("/*") || z.contains("--")) {
        for term in ["", "*/", "\n"] {
            if brisk::parser::is_complete(&format!("{sql}{term};")) {
                z = format!("{sql}{term}");
                break;
            }
        }
    }
    match z.strip_prefix("CREATE TABLE ") {
        Some(rest) if rest.starts_with(['\'', '"']) => format!("CREATE TABLE IF NOT EXISTS {rest}{tail}"),
        _ => format!("{z}{tail}"),
    }
}

/// sqlite3's `.schema --indent` (`MODE_Pretty`): runs of spaces squeezed, and a statement of 79
/// bytes or more broken after its opening parenthesis and each top-level comma, one definition
/// per line; views and triggers as they are.
fn pretty_schema(sql: &str) -> String {
    let upper: String = sql.chars().take(12).collect::<String>().to_ascii_uppercase();
    if upper.starts_with("CREATE VIEW") || upper.starts_with("CREATE TRIG") {
        return format!("{sql};\n");
    }
    let space = |c: u8| crate::input::is_space(c);
    // Squeeze whitespace: none after another space or an opening parenthesis, none before a
    // parenthesis; a CR before whitespace becomes a newline.
    let src = sql.as_bytes();
    let mut z: Vec<u8> = Vec::with_capacity(src.len());
    for &c in src.iter().skip_while(|&&c| space(c)) {
        if space(c) {
            if let Some(last) = z.last_mut() {
                if *last == b'\r' {
                    *last = b'\n';
                }
            }
            if z.last().is_some_and(|&l| space(l) || l == b'(') {
                continue;
            }
        } else if (c == b'(' || c == b')') && z.last().is_some_and(|&l| space(l)) {
            z.pop();
        }
        z.push(c);
    }
    while z.last().is_some_and(|&l| space(l)) {
        z.pop();
    }
    let mut out = String::new();
    if z.len() >= 79 {
        let whitespace_to_eol = |rest: &[u8]| {
            for (k, &c) in rest.iter().enumerate() {
                if c == b'\n' || (c == b'-' && rest.get(k + 1) == Some(&b'-')) {
                    return true;
                }
                if !space(c) {
                    return false;
                }
            }
            true
        };
        let (mut line, mut depth, mut lines, mut end) = (Vec::new(), 0i32, 0, 0u8);
        let mut i = 0;
        while i < z.len() {
            let c = z[i];
            // As in sqlite3, a parenthesis inside quotes or a comment still counts.
            if end != 0 && c == end {
                end = 0;
            } else if c == b'"' || c == b'\'' || c == b'`' {
                end = c;
            } else if c == b'[' {
                end = b']';
            } else if c == b'-' && z.get(i + 1) == Some(&b'-') {
                end = b'\n';
            } else if c == b'(' {
                depth += 1;
            } else if c == b')' {
                depth -= 1;
                if lines > 0 && depth == 0 && !line.is_empty() {
                    out.push_str(&schema_line(&String::from_utf8_lossy(&line), "\n"));
                    line.clear();
                }
            }
            line.push(c);
            if depth == 1 && end == 0 && (c == b'(' || c == b'\n' || (c == b',' && !whitespace_to_eol(&z[i + 1..]))) {
                if c == b'\n' {
                    line.pop();
                }
                out.push_str(&schema_line(&String::from_utf8_lossy(&line), "\n  "));
                line.clear();
                lines += 1;
                while z.get(i + 1).is_some_and(|&n| space(n)) {
                    i += 1;
                }
            }
            i += 1;
        }
        z = line;
    }
    out.push_str(&schema_line(&String::from_utf8_lossy(&z), ";\n"));
    out
}

/// sqlite3's `shellFakeSchema`: `name(col,...)` for the comment it adds after a view.
fn fake_schema<E: Executor>(shell: &mut Shell<E>, name: &str) -> Option<String> {
    let columns = shell.exec.query(&format!("PRAGMA table_info({})", quote_text(name)), &[]).ok()?;
    if columns.is_empty() {
        return None;
    }
    let cols: Vec<String> = columns.iter().map(|r| quote_name(&text_of(&r[1]))).collect();
    Some(format!("{}({})", quote_name(name), cols.join(",")))
}

/// `.schema ?--nosys? ?PATTERN?`: the CREATE statements, in schema order.
pub fn schema<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let (mut pattern, mut nosys, mut indent) = (None::<&str>, false, false);
    for arg in &args[1..] {
        match arg.as_str() {
            "--indent" | "-indent" => indent = true,
            "--nosys" | "-nosys" => nosys = true,
            a if a.starts_with('-') => {
                shell.eprint(&format!("Unknown option: \"{a}\"\n"));
                return DotOutcome::Error;
            }
            a if pattern.is_none() => pattern = Some(a),
            _ => {
                shell.eprint("Usage: .schema ?--indent? ?--nosys? ?LIKE-PATTERN?\n");
                return DotOutcome::Error;
            }
        }
    }
    let mut sql = String::from("SELECT sql, type, name FROM sqlite_schema WHERE ");
    if let Some(p) = pattern {
        let glob = p.contains(['*', '?', '[']);
        let target = if p.contains('.') { "lower(printf('%s.%s','main',tbl_name))" } else { "lower(tbl_name)" };
        sql.push_str(target);
        sql.push_str(if glob { " GLOB " } else { " LIKE " });
        sql.push_str(&quote_text(p));
        if !glob {
            sql.push_str(" ESCAPE '\\' ");
        }
        sql.push_str(" AND ");
    }
    if nosys {
        sql.push_str("name NOT LIKE 'sqlite_%' AND ");
    }
    sql.push_str("sql IS NOT NULL ORDER BY rowid");
    let Some(rows) = rows(shell, &sql, &[]) else { return DotOutcome::Error };
    let mut text = String::new();
    for row in rows {
        let (create, kind, name) = (text_of(&row[0]), text_of(&row[1]), text_of(&row[2]));
        let mut create = create;
        if kind == "view" && create.starts_with("CREATE VIEW ") {
            if let Some(fake) = fake_schema(shell, &name) {
                create = format!("{create}\n/* {fake} */");
            }
        }
        if indent {
            text.push_str(&pretty_schema(&create));
        } else {
            text.push_str(&schema_line(&create, ";\n"));
        }
    }
    shell.out.write_str(&text);
    DotOutcome::Ok
}

/// `.databases`: the attached databases with their files and access.
pub fn databases<E: Executor>(shell: &mut Shell<E>, _args: &[String]) -> DotOutcome {
    let file = shell.exec.filename();
    let access = if shell.exec.read_only() { "r/o" } else { "r/w" };
    let file = if file.is_empty() { "\"\"".to_string() } else { file };
    shell.out.write_str(&format!("main: {file} {access}\n"));
    DotOutcome::Ok
}

/// `.dump ?--data-only? ?--nosys? ?--newlines? ?PATTERN ...?`: SQL that rebuilds the database
/// (or the tables matching the patterns) in a fresh one, as sqlite3's `.dump` writes it.
pub fn dump<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let (mut data_only, mut nosys, mut newlines) = (false, false, false);
    let mut patterns = Vec::new();
    for arg in &args[1..] {
        if arg.starts_with('-') {
            match arg.trim_start_matches('-') {
                "data-only" => data_only = true,
                "nosys" => nosys = true,
                "newlines" => newlines = true,
                _ => {
                    shell.eprint(&format!("Unknown option \"{arg}\" on \".dump\"\n"));
                    return DotOutcome::Error;
                }
            }
        } else {
            patterns.push(format!("name LIKE {} ESCAPE '\\'", quote_text(arg)));
        }
    }
    let like = if patterns.is_empty() { "true".to_string() } else { patterns.join(" OR ") };
    let tables_sql = format!(
        "SELECT name, type, sql FROM sqlite_schema AS o WHERE ({like}) AND type=='table'  AND sql NOT NULL \
         ORDER BY tbl_name='sqlite_sequence', rowid"
    );
    let Some(tables) = rows(shell, &tables_sql, &[]) else { return DotOutcome::Error };
    let mut out = String::new();
    if !data_only {
        out.push_str("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    }
    let mut errors = 0;
    for row in &tables {
        let (name, create) = (text_of(&row[0]), text_of(&row[2]));
        if name == "sqlite_sequence" && !nosys {
            if !data_only {
                out.push_str("DELETE FROM sqlite_sequence;\n");
            }
        } else if name.starts_with("sqlite_stat") && name.len() == 12 && !nosys {
            if !data_only {
                out.push_str("ANALYZE sqlite_schema;\n");
            }
        } else if name.starts_with("sqlite_") {
            continue;
        } else if !data_only {
            out.push_str(&schema_line(&create, ";\n"));
        }
        let columns = match shell.exec.query(&format!("PRAGMA table_info({})", quote_text(&name)), &[]) {
            Ok(c) => c,
            Err(_) => {
                errors += 1;
                continue;
            }
        };
        let cols: Vec<String> = columns.iter().map(|c| quote_name(&text_of(&c[1]))).collect();
        let select = format!("SELECT {} FROM {}", cols.join(","), quote_name(&name));
        match shell.exec.query(&select, &[]) {
            Ok(data) => {
                let table = quote_name(&name);
                for r in data {
                    let mut line = format!("INSERT INTO {table} VALUES(").into_bytes();
                    for (i, v) in r.iter().enumerate() {
                        if i > 0 {
                            line.push(b',');
                        }
                        insert_value(&mut line, v, newlines);
                    }
                    line.extend_from_slice(b");\n");
                    out.push_str(&String::from_utf8_lossy(&line));
                }
            }
            Err(_) => errors += 1,
        }
        // Long dumps go out as they are made.
        shell.out.write_str(&out);
        out.clear();
    }
    if !data_only {
        let others = format!(
            "SELECT sql FROM sqlite_schema AS o WHERE ({like}) AND sql NOT NULL  AND type IN ('index','trigger','view') \
             ORDER BY rowid"
        );
        match shell.exec.query(&others, &[]) {
            Ok(rows) => {
                for r in rows {
                    out.push_str(&text_of(&r[0]));
                    out.push_str(";\n");
                }
            }
            Err(_) => errors += 1,
        }
        out.push_str(if errors > 0 { "ROLLBACK; -- due to errors\n" } else { "COMMIT;\n" });
    }
    shell.out.write_str(&out);
    DotOutcome::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lines() {
        assert_eq!(schema_line("CREATE TABLE t(a)", ";\n"), "CREATE TABLE t(a);\n");
        assert_eq!(schema_line("CREATE TABLE \"a b\"(x)", ";\n"), "CREATE TABLE IF NOT EXISTS \"a b\"(x);\n");
        assert_eq!(schema_line("CREATE TABLE t(a) -- note", ";\n"), "CREATE TABLE t(a) -- note\n;\n");
        assert_eq!(schema_line("CREATE TABLE t(a) /* open", ";\n"), "CREATE TABLE t(a) /* open*/;\n");
    }
}
