//! `refsql [FILE] SQL`: runs SQL through the bundled reference SQLite (the oracle the tests use)
//! and prints each row as `sqlite3 -list` would, one statement after another, so the two engines
//! can be compared by hand: `refsql "select 1e10-1e-5"` against `brisk :memory: "..."`.

use rusqlite::types::ValueRef;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, sql) = match args.as_slice() {
        [sql] => (":memory:".to_string(), sql.clone()),
        [path, sql] => (path.clone(), sql.clone()),
        _ => {
            eprintln!("usage: refsql [FILE] SQL");
            std::process::exit(2);
        }
    };
    let db = rusqlite::Connection::open(&path).unwrap_or_else(|e| {
        eprintln!("Error: {e}");
        std::process::exit(1);
    });
    let mut batch = rusqlite::Batch::new(&db, &sql);
    loop {
        let mut stmt = match fallible_iterator::FallibleIterator::next(&mut batch) {
            Ok(Some(stmt)) => stmt,
            Ok(None) => break,
            Err(e) => fail(e),
        };
        let n = stmt.column_count();
        let mut rows = stmt.raw_query();
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let cells: Vec<String> = (0..n).map(|i| render(&db, row.get_ref(i).expect("column"))).collect();
                    println!("{}", cells.join("|"));
                }
                Ok(None) => break,
                Err(e) => fail(e),
            }
        }
    }
}

fn fail(e: rusqlite::Error) -> ! {
    println!("Error: {e}");
    std::process::exit(1);
}

/// A value as `sqlite3_column_text` gives it (a REAL through SQLite's own conversion).
fn render(db: &rusqlite::Connection, v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => db.query_row("SELECT CAST(?1 AS TEXT)", [r], |row| row.get(0)).unwrap_or_else(|e| fail(e)),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}
