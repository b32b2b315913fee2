//! Parser tests.
use super::*;

#[test]
fn dbg_env() {
    if let Ok(sql) = std::env::var("BRISK_SQL") {
        for r in parse_script(&sql) {
            match r {
                Ok(p) => println!("OK  {}", p.stmt),
                Err(e) => println!("ERR {:?}", e),
            }
        }
    }
    if let Ok(path) = std::env::var("BRISK_LINES") {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let r: Vec<String> = parse_script(line)
                .map(|r| match r {
                    Ok(p) => format!("OK {}", p.stmt),
                    Err(e) => e.message,
                })
                .collect();
            println!("{line}\t{}", r.join(" | "));
        }
    }
}

/// Records of a sqllogictest file that apply to SQLite: (kind, sql) where kind is
/// "ok", "error" or "query".
fn slt_records(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.starts_with('#'))
        .collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let mut skip = false;
        while i < lines.len() && (lines[i].starts_with("skipif") || lines[i].starts_with("onlyif"))
        {
            let mut w = lines[i].split_whitespace();
            let (cond, db) = (
                w.next().unwrap_or(""),
                w.next().unwrap_or("").to_ascii_lowercase(),
            );
            if (cond == "skipif" && db == "sqlite") || (cond == "onlyif" && db != "sqlite") {
                skip = true;
            }
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let head = lines[i];
        if head.starts_with("halt") {
            if skip {
                i += 1;
                continue;
            }
            break;
        }
        let kind = if head.starts_with("statement ok") {
            Some("ok")
        } else if head.starts_with("statement error") {
            Some("error")
        } else if head.starts_with("query") {
            Some("query")
        } else {
            None
        };
        i += 1;
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i] != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        if let (Some(k), false) = (kind, skip) {
            out.push((k, sql.join("\n")));
        }
    }
    out
}

#[test]
fn dbg_slt() {
    let Ok(files) = std::env::var("BRISK_SLT") else {
        return;
    };
    let (mut n, mut fails) = (0, 0);
    let t0 = std::time::Instant::now();
    for f in files.split(',') {
        let text = std::fs::read_to_string(f).unwrap();
        for (kind, sql) in slt_records(&text) {
            n += 1;
            let r = parse(&sql);
            if kind != "error" {
                if let Err(e) = r {
                    fails += 1;
                    println!("FAIL {f}: {e}\n    {}", sql.replace('\n', "\n    "));
                }
            }
        }
    }
    println!("records {n}, failures {fails}, {:?}", t0.elapsed());
}

#[test]
fn dbg_depth() {
    let Ok(n) = std::env::var("BRISK_DEPTH") else {
        return;
    };
    let n: usize = n.parse().unwrap();
    use std::mem::size_of;
    println!(
        "sp::Expr {} bytes, Expr {} bytes",
        size_of::<sqlparser::ast::Expr>(),
        size_of::<Expr>()
    );
    println!(
        "SetExpr {} Query {} Select {} Statement {} SelectItem {} TableFactor {} Function {}",
        size_of::<sqlparser::ast::SetExpr>(),
        size_of::<sqlparser::ast::Query>(),
        size_of::<sqlparser::ast::Select>(),
        size_of::<sqlparser::ast::Statement>(),
        size_of::<sqlparser::ast::SelectItem>(),
        size_of::<sqlparser::ast::TableFactor>(),
        size_of::<sqlparser::ast::Function>()
    );
    let sql = format!("select 1 {}", " and a = 1".repeat(n));
    let t = std::time::Instant::now();
    let r = parse(&sql);
    println!("and-chain {n}: {:?} {:?}", r.map(|_| ()), t.elapsed());
    let sql = format!("select {}1{}", "(".repeat(n), ")".repeat(n));
    let r = parse(&sql);
    println!("parens {n}: {:?}", r.map(|_| ()));
    let sql = format!("select {}1{}", "abs(".repeat(n), ")".repeat(n));
    if std::env::var("BRISK_ONLY_CALLS").is_ok() {
        println!("calls {n}: {:?}", parse(&sql).map(|_| ()));
        return;
    }
    println!("calls {n}: {:?}", parse(&sql).map(|_| ()));
    let sql = format!("select {}1{}", "(select ".repeat(n), ")".repeat(n));
    println!("subq {n}: {:?}", parse(&sql).map(|_| ()));
    let sql = format!("select {}1", "- ".repeat(n));
    println!("neg {n}: {:?}", parse(&sql).map(|_| ()));
    let sql = format!(
        "select {}1{}",
        "case when 1 then ".repeat(n),
        " end".repeat(n)
    );
    println!("case {n}: {:?}", parse(&sql).map(|_| ()));
}

#[test]
fn dbg_sqlite_depth() {
    if std::env::var("BRISK_SQLITE_DEPTH").is_err() {
        return;
    }
    let db = rusqlite::Connection::open_in_memory().unwrap();
    for (name, open, close) in [
        ("subq", "(select ", ")"),
        ("abs", "abs(", ")"),
        ("paren", "(", ")"),
        ("neg", "- ", ""),
        ("case", "case when 1 then ", " end"),
    ] {
        let mut last_ok = 0;
        for n in (5..2000).step_by(5) {
            let sql = format!("select {}1{}", open.repeat(n), close.repeat(n));
            match db.prepare(&sql) {
                Ok(_) => last_ok = n,
                Err(e) => {
                    println!("{name}: ok up to {last_ok}, at {n}: {e}");
                    break;
                }
            }
        }
    }
}

/// SQLite's verdict on one statement: Some(message) if preparing it on an empty database fails
/// with a syntax-level error, None if it parses (it may still fail for other reasons).
fn sqlite_syntax_error(db: &rusqlite::Connection, sql: &str) -> Option<String> {
    match db.prepare(sql) {
        Ok(_) => None,
        Err(rusqlite::Error::SqlInputError { msg, .. })
        | Err(rusqlite::Error::SqliteFailure(_, Some(msg))) => {
            let syntax = msg.starts_with("near ")
                || msg == "incomplete input"
                || msg.starts_with("unrecognized token")
                || msg.starts_with("hex literal too big")
                || msg.starts_with("unknown table option")
                || msg.contains("parser stack overflow")
                || msg.starts_with("Expression tree is too large");
            syntax.then_some(msg)
        }
        Err(_) => None,
    }
}

#[test]
fn dbg_slt_diff() {
    let Ok(files) = std::env::var("BRISK_SLT_DIFF") else {
        return;
    };
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let (mut n, mut bad) = (0, 0);
    for f in files.split(',') {
        let text = std::fs::read_to_string(f).unwrap();
        for (_, sql) in slt_records(&text) {
            if split_statements(&sql).len() != 1 {
                continue;
            }
            n += 1;
            let theirs = sqlite_syntax_error(&db, &sql);
            let ours = parse(&sql).err().map(|e| e.to_string());
            if theirs != ours
                && !(theirs.is_none()
                    && ours.as_deref().is_some_and(|m| m.contains("not supported")))
            {
                bad += 1;
                println!(
                    "DIFF sqlite={theirs:?} ours={ours:?}\n    {}",
                    sql.replace('\n', "\n    ")
                );
            }
        }
    }
    println!("statements {n}, differences {bad}");
}

#[test]
fn syntax_matches_sqlite() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut diffs = Vec::new();
    for line in include_str!("testdata/syntax.sql").lines() {
        if line.trim().is_empty() || line.starts_with("--") {
            continue;
        }
        let theirs = sqlite_syntax_error(&db, line);
        let ours = parse(line).err().map(|e| e.to_string());
        if theirs != ours {
            diffs.push(format!(
                "{line}\n    sqlite: {theirs:?}\n    brisk:  {ours:?}"
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
