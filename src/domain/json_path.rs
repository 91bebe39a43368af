//! Which field of a JSON body an error is about, found from where the parser stopped.
//!
//! A body is parsed once, straight into its type; only when that fails is the text before
//! the error's position scanned to name the field (`lines[2].qty`). Tracking the path while
//! parsing (serde_path_to_error) instead compiles a second copy of every body type's
//! deserializer into the wasm; this scan is one small function for all of them.

/// Where a nested value sits in its parent while the scan is inside it.
enum Frame {
    /// In an object: the current member's key, from the key until the next `,` or `}`, and
    /// whether its value has begun.
    Object { key: Option<String>, valued: bool },
    /// In an array: the current element's index, once the element has begun.
    Array { index: usize, begun: bool },
}

/// The byte offset of serde_json's `line` and `column` (1-based line, bytes into the line).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start_of_line = if line <= 1 {
        0
    } else {
        text.bytes()
            .enumerate()
            .filter(|(_, byte)| *byte == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(index, _)| index + 1)
    };
    (start_of_line + column).min(text.len())
}

/// The path (`.` for the body itself, else `items[3].price_fen`) of the value that the
/// parser was reading, or had just read, at byte `offset` of `text`. A key just read names
/// its member (an unknown field), unless it was an enum's variant (`unknown_variant`): then
/// the error is the enum's, as a variant is not a field.
pub fn path_at(text: &str, offset: usize, unknown_variant: bool) -> String {
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let mut frames: Vec<Frame> = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'{' | b'[' => {
                begin_value(&mut frames);
                frames.push(if byte == b'{' {
                    Frame::Object {
                        key: None,
                        valued: false,
                    }
                } else {
                    Frame::Array {
                        index: 0,
                        begun: false,
                    }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { key, valued }) => {
                    *key = None;
                    *valued = false;
                }
                Some(Frame::Array { index, begun }) => {
                    *index += 1;
                    *begun = false;
                }
                None => {}
            },
            b'"' => {
                let end = string_end(bytes, index);
                let expects_key = match frames.last() {
                    Some(Frame::Object { key, .. }) => key.is_none(),
                    _ => false,
                };
                match (expects_key, end) {
                    // A key read in full names the member, its `:` or not (an error on the
                    // key itself, an unknown field, is named by the key too).
                    (true, Some(end)) => {
                        let name = serde_json::from_str::<String>(&text[index..end]);
                        if let Some(Frame::Object { key, .. }) = frames.last_mut() {
                            *key = Some(name.unwrap_or_default());
                        }
                    }
                    (true, None) => {}
                    (false, _) => begin_value(&mut frames),
                }
                index = end.unwrap_or(bytes.len());
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            _ => begin_value(&mut frames),
        }
        index += 1;
    }
    if unknown_variant {
        if let Some(Frame::Object {
            key: key @ Some(_),
            valued: false,
        }) = frames.last_mut()
        {
            *key = None;
        }
    }
    let mut path = String::new();
    for frame in &frames {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { index, begun: true } => path.push_str(&format!("[{index}]")),
            _ => break,
        }
    }
    if path.is_empty() {
        ".".to_owned()
    } else {
        path
    }
}

/// A value starts here: the current member's or element's.
fn begin_value(frames: &mut [Frame]) {
    match frames.last_mut() {
        Some(Frame::Array { begun, .. }) => *begun = true,
        Some(Frame::Object { valued, .. }) => *valued = true,
        None => {}
    }
}

/// The offset just past the string that opens at `start`, if it closes within `bytes`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}
