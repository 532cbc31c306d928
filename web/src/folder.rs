//! A dropped or picked folder (an OCI image layout, a `dir:` image folder) as one `File`: the
//! core lays the folder out as a virtual tar ([`TarView`]) and the page composes that tar as a
//! `Blob` of synthesized header bytes and the folder's own `File`s. The browser keeps
//! references to the files, nothing is read here; the worker then reads and slices the
//! composed file exactly as it does an archive, so the figures, the squash plan and the
//! download (slices of the folder's files) are the CLI's for the same directory.

use js_sys::{Array, Promise, Reflect, Uint8Array};
use layerlens_core::folder::{Item, ItemKind, Piece, TarView};
use layerlens_core::Limits;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    File, FileList, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry,
};

/// A folder's files by their paths relative to it.
pub struct Folder {
    /// The folder's own name (the download is named after it).
    pub name: String,
    /// `(relative path, file)`.
    pub files: Vec<(String, File)>,
}

impl Folder {
    /// The folder a `<input webkitdirectory>` picked: every file's `webkitRelativePath` starts
    /// with the folder's name.
    pub fn from_picked(list: &FileList) -> Result<Folder, String> {
        let mut name = None;
        let mut files = Vec::new();
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            let rel = Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| file.name());
            let (top, rest) = rel.split_once('/').unwrap_or(("", rel.as_str()));
            name.get_or_insert_with(|| top.to_string());
            files.push((rest.to_string(), file));
        }
        Ok(Folder {
            name: name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "folder".into()),
            files,
        })
    }

    /// The folder dropped as `entry`, read recursively (the entries API hands them out in
    /// batches, asynchronously).
    pub async fn from_dropped(entry: FileSystemDirectoryEntry) -> Result<Folder, String> {
        let name = entry.name();
        let mut files = Vec::new();
        let mut pending = vec![(String::new(), entry)];
        let max = Limits::default().max_members as usize;
        while let Some((prefix, dir)) = pending.pop() {
            let reader = dir.create_reader();
            loop {
                let batch = read_entries(&reader).await?;
                if batch.length() == 0 {
                    break;
                }
                for e in batch.iter() {
                    let e: FileSystemEntry = e.unchecked_into();
                    let path = format!("{prefix}{}", e.name());
                    if e.is_directory() {
                        pending.push((format!("{path}/"), e.unchecked_into()));
                    } else if e.is_file() {
                        files.push((path, file_of(&e.unchecked_into()).await?));
                        if files.len() > max {
                            return Err(format!("more than {max} files in the folder"));
                        }
                    }
                }
            }
        }
        Ok(Folder { name, files })
    }

    /// The virtual tar of the folder as one `File` named after the folder.
    pub fn into_file(self) -> Result<File, String> {
        let context = |e: layerlens_core::Error| format!("{}: {e}", self.name);
        let items = self
            .files
            .iter()
            .enumerate()
            .map(|(index, (path, file))| Item {
                path: path.clone(),
                kind: ItemKind::File {
                    size: file.size() as u64,
                },
                index,
            })
            .collect();
        let view = TarView::new(items, &Limits::default()).map_err(context)?;
        let parts = Array::new();
        for piece in view.pieces() {
            match piece {
                Piece::Bytes(bytes) => {
                    parts.push(&Uint8Array::from(bytes.as_slice()));
                }
                Piece::File { index, .. } => {
                    let (_, file) = &self.files[index];
                    parts.push(file);
                }
            }
        }
        File::new_with_blob_sequence(&parts, &self.name)
            .map_err(|e| format!("{}: {e:?}", self.name))
    }
}

/// One batch of a directory reader's entries (empty at the end).
async fn read_entries(reader: &FileSystemDirectoryReader) -> Result<Array, String> {
    let mut result = Ok(());
    let promise = Promise::new(&mut |resolve, reject| {
        result = reader.read_entries_with_callback_and_callback(&resolve, &reject);
    });
    result.map_err(|e| format!("cannot read the folder: {e:?}"))?;
    let batch = JsFuture::from(promise)
        .await
        .map_err(|e| format!("cannot read the folder: {e:?}"))?;
    Ok(batch.unchecked_into())
}

/// The `File` of a file entry.
async fn file_of(entry: &FileSystemFileEntry) -> Result<File, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    JsFuture::from(promise)
        .await
        .map(JsCast::unchecked_into)
        .map_err(|e| format!("cannot read {}: {e:?}", entry.full_path()))
}

/// The folder a drop carries, if its first item is one.
pub fn dropped_dir(data: &web_sys::DataTransfer) -> Option<FileSystemDirectoryEntry> {
    let entry = data.items().get(0)?.webkit_get_as_entry().ok().flatten()?;
    entry.is_directory().then(|| entry.unchecked_into())
}

/// Reads a dropped folder and hands its virtual tar to `open` (or the error to `failed`).
pub fn open_dropped(
    dir: FileSystemDirectoryEntry,
    open: yew::Callback<File>,
    failed: yew::Callback<String>,
) {
    wasm_bindgen_futures::spawn_local(async move {
        match Folder::from_dropped(dir).await.and_then(Folder::into_file) {
            Ok(file) => open.emit(file),
            Err(e) => failed.emit(e),
        }
    });
}

#[cfg(test)]
mod tests {
    use std::io;

    use layerlens_core::folder::{FolderFiles, FolderSource};
    use layerlens_core::Source;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    struct Mem(Vec<Vec<u8>>);

    impl FolderFiles for Mem {
        fn read_file_at(&mut self, i: usize, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            self.0[i].as_slice().read_at(offset, buf)
        }
    }

    fn folder(contents: &[(&str, Vec<u8>)]) -> Folder {
        let files = contents
            .iter()
            .map(|(path, bytes)| {
                let parts = Array::of1(&Uint8Array::from(bytes.as_slice()));
                let file = File::new_with_u8_array_sequence(&parts, "f").expect("File");
                (path.to_string(), file)
            })
            .collect();
        Folder {
            name: "img".into(),
            files,
        }
    }

    /// The page's `Blob` of headers and `File`s holds exactly the bytes the core (and so the
    /// CLI) reads from the same directory.
    #[wasm_bindgen_test]
    async fn the_composed_file_is_the_virtual_tar_the_core_reads() {
        let contents = [
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
            ("index.json", b"{}".to_vec()),
            ("blobs/sha256/ab", vec![7u8; 1500]),
            ("blobs/sha256/empty", Vec::new()),
        ];
        let file = folder(&contents).into_file().expect("composed");
        assert_eq!(file.name(), "img");
        let bytes = JsFuture::from(file.array_buffer()).await.expect("read");
        let got = Uint8Array::new(&bytes).to_vec();
        let items = contents
            .iter()
            .enumerate()
            .map(|(index, (path, b))| Item {
                path: path.to_string(),
                kind: ItemKind::File {
                    size: b.len() as u64,
                },
                index,
            })
            .collect();
        let view = TarView::new(items, &Limits::default()).expect("view");
        let mut source =
            FolderSource::new(view, Mem(contents.iter().map(|c| c.1.clone()).collect()));
        let mut want = vec![0u8; source.size().expect("size") as usize];
        assert_eq!(source.read_at(0, &mut want).expect("read"), want.len());
        assert_eq!(got, want);
    }

    #[wasm_bindgen_test]
    fn a_folder_that_is_no_image_names_itself_and_what_is_missing() {
        let err = folder(&[("notes.txt", b"hi".to_vec())])
            .into_file()
            .expect_err("not an image");
        assert!(err.starts_with("img: not an image directory"), "{err}");
    }
}
