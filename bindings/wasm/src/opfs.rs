//! The Origin Private File System: files the engine reads and writes through synchronous access
//! handles (`FileSystemSyncAccessHandle`), served by the core's `HandleIo`.
//!
//! Opening a handle is asynchronous (`createSyncAccessHandle()` returns a promise) and is only
//! allowed in a dedicated Worker; after that, `read`, `write`, `flush`, `truncate` and `getSize`
//! are synchronous. `open_handles` therefore opens both files a database can need, the database
//! and its rollback journal, before the engine starts. Each is a file at the top of the origin's
//! private directory, named as the database and as the database plus `-journal`. A handle
//! locks its file against every other handle, so a database is open in one place at a time;
//! another tab that tries gets `SQLITE_BUSY`.
//!
//! This design needs neither `SharedArrayBuffer` nor the COOP/COEP headers that would require.

use brisk::io::codes;
use brisk::Error;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::convert::{error_with_code, js_error_name, js_message};

#[wasm_bindgen]
extern "C" {
    /// A `FileSystemSyncAccessHandle`, or any object with its methods.
    #[wasm_bindgen(typescript_type = "SyncAccessHandle")]
    #[derive(Clone)]
    pub type SyncAccessHandle;
    #[wasm_bindgen(method, catch)]
    fn read(this: &SyncAccessHandle, buf: &mut [u8], options: &Object) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn write(this: &SyncAccessHandle, buf: &[u8], options: &Object) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn flush(this: &SyncAccessHandle) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn truncate(this: &SyncAccessHandle, size: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = getSize)]
    fn get_size(this: &SyncAccessHandle) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &SyncAccessHandle) -> Result<(), JsValue>;

    type DirectoryHandle;
    #[wasm_bindgen(method, catch, js_name = getFileHandle)]
    fn get_file_handle(this: &DirectoryHandle, name: &str, options: &Object) -> Result<Promise, JsValue>;

    type FileHandle;
    #[wasm_bindgen(method, catch, js_name = createSyncAccessHandle)]
    fn create_sync_access_handle(this: &FileHandle) -> Result<Promise, JsValue>;
}

/// The largest offset a JavaScript number addresses exactly.
const MAX_OFFSET: u64 = (1 << 53) - 1;

/// One handle as the engine's `SyncHandle`, with the `{ at }` options object its reads and
/// writes reuse (one object per file, not one per page).
pub struct OpfsFile {
    handle: SyncAccessHandle,
    options: Object,
}

// SAFETY: wasm32-unknown-unknown without the `atomics` feature runs on one thread, so the handle
// is never used from another (lib.rs refuses to build with threads).
unsafe impl Send for OpfsFile {}
unsafe impl Sync for OpfsFile {}

impl OpfsFile {
    pub fn new(handle: SyncAccessHandle) -> OpfsFile {
        OpfsFile { handle, options: Object::new() }
    }

    /// The options of `read` and `write`, set to `{ at: offset }`.
    fn at(&self, offset: u64) -> brisk::Result<&Object> {
        if offset > MAX_OFFSET {
            return Err(Error::Full);
        }
        // Setting a property on a plain object cannot fail.
        let _ = Reflect::set(&self.options, &"at".into(), &JsValue::from_f64(offset as f64));
        Ok(&self.options)
    }
}

/// A thrown value as the engine's error: a full quota is a full disk, anything else an I/O error.
fn io_error(e: JsValue, code: i32) -> Error {
    if js_error_name(&e).as_deref() == Some("QuotaExceededError") {
        return Error::Full;
    }
    Error::io(code, js_message(&e))
}

impl brisk::io::SyncHandle for OpfsFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> brisk::Result<usize> {
        let n = self.handle.read(buf, self.at(offset)?).map_err(|e| io_error(e, codes::IOERR_READ))?;
        Ok((n as usize).min(buf.len()))
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> brisk::Result<()> {
        let n = self.handle.write(data, self.at(offset)?).map_err(|e| io_error(e, codes::IOERR_WRITE))?;
        if (n as usize) < data.len() {
            // OPFS writes everything or throws; a short write means the storage ran out.
            return Err(Error::Full);
        }
        Ok(())
    }

    fn flush(&self) -> brisk::Result<()> {
        self.handle.flush().map_err(|e| io_error(e, codes::IOERR_FSYNC))
    }

    fn truncate(&self, len: u64) -> brisk::Result<()> {
        if len > MAX_OFFSET {
            return Err(Error::Full);
        }
        self.handle.truncate(len as f64).map_err(|e| io_error(e, codes::IOERR_TRUNCATE))
    }

    fn size(&self) -> brisk::Result<u64> {
        let n = self.handle.get_size().map_err(|e| io_error(e, codes::IOERR_FSTAT))?;
        Ok(n as u64)
    }
}

/// Closes handles, ignoring errors: a handle that cannot close has nothing left to release.
pub fn close_all(handles: &[SyncAccessHandle]) {
    for h in handles {
        let _ = h.close();
    }
}

/// SQLITE_CANTOPEN with the reason.
fn cant_open(detail: &str) -> JsValue {
    error_with_code(&format!("unable to open database file: {detail}"), 14, None)
}

/// Opens (creating them when missing) the database file `name` and its journal in the origin's
/// private directory, and their synchronous access handles.
pub async fn open_handles(name: &str) -> Result<(SyncAccessHandle, SyncAccessHandle), JsValue> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
        return Err(cant_open(&format!("'{name}' is not a file name")));
    }
    let storage = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|nav| Reflect::get(&nav, &"storage".into()))
        .ok()
        .filter(|s| s.is_object());
    let Some(storage) = storage else {
        return Err(cant_open("the Origin Private File System is not available here"));
    };
    let get_directory = Reflect::get(&storage, &"getDirectory".into())?;
    let Some(get_directory) = get_directory.dyn_ref::<js_sys::Function>() else {
        return Err(cant_open("the Origin Private File System is not available here"));
    };
    let root = JsFuture::from(Promise::from(get_directory.call0(&storage)?)).await?;
    let root: DirectoryHandle = root.unchecked_into();
    let db = open_one(&root, name).await?;
    match open_one(&root, &format!("{name}-journal")).await {
        Ok(journal) => Ok((db, journal)),
        Err(e) => {
            close_all(&[db]);
            Err(e)
        }
    }
}

async fn open_one(root: &DirectoryHandle, name: &str) -> Result<SyncAccessHandle, JsValue> {
    let options = Object::new();
    Reflect::set(&options, &"create".into(), &JsValue::TRUE)?;
    let file = JsFuture::from(root.get_file_handle(name, &options)?).await?;
    let file: FileHandle = file.unchecked_into();
    let created = match file.create_sync_access_handle() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(handle) => Ok(handle.unchecked_into()),
        Err(e) if js_error_name(&e).as_deref() == Some("NoModificationAllowedError") => {
            Err(error_with_code(&format!("database is locked: {name} is open in another tab or worker"), 5, None))
        }
        Err(e) if js_error_name(&e).as_deref() == Some("TypeError") => {
            Err(cant_open(&format!("{name}: synchronous access handles need a dedicated Worker ({})", js_message(&e))))
        }
        Err(e) => Err(cant_open(&format!("{name}: {}", js_message(&e)))),
    }
}
